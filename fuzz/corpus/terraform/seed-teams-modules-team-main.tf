variable "name" {
  type = string
}

resource "aws_iam_role" "this" {
  name_prefix        = var.name
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "this" {
  role = aws_iam_role.this.id
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
      Resource = "*"
    }]
  })
}
