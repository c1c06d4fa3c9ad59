# One document included by two others, each the policy of another role:
# it keeps what either role uses.
data "aws_iam_policy_document" "common" {
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "sqs:SendMessage"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "app" {
  source_policy_documents = [data.aws_iam_policy_document.common.json]
  statement {
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "batch" {
  source_policy_documents = [data.aws_iam_policy_document.common.json]
}

resource "aws_iam_role_policy" "app" {
  name   = "app"
  role   = "app"
  policy = data.aws_iam_policy_document.app.json
}

resource "aws_iam_role_policy" "batch" {
  name   = "batch"
  role   = "batch"
  policy = data.aws_iam_policy_document.batch.json
}

# A managed policy attached to both.
resource "aws_iam_policy" "both" {
  name = "both"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:ListBucket", "s3:PutObject", "dynamodb:GetItem"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_policy_attachment" "both" {
  name       = "both"
  roles      = ["app", "batch"]
  policy_arn = aws_iam_policy.both.arn
}
