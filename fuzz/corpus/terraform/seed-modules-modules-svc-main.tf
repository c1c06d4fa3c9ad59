variable "role_name" {
  type = string
}

resource "aws_iam_role_policy" "this" {
  name = "svc"
  role = var.role_name
  policy = jsonencode({
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "*"
    }]
  })
}
