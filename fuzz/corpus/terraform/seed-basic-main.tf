# A role with an inline policy written with jsonencode, a managed policy in
# a heredoc, and a policy document shared by both.
resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "s3" {
  statement {
    sid = "Read"
    actions = [
      "s3:GetObject",
      "s3:PutObject", # uploads
      "s3:ListBucket",
    ]
    resources = ["*"]
  }

  statement {
    effect    = "Allow"
    actions   = ["sqs:*", var.extra_action]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "s3" {
  name   = "s3"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.s3.json
}

resource "aws_iam_role_policy" "inline" {
  name = "inline"
  role = aws_iam_role.app.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances", "ec2:DescribeVpcs"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "dynamodb:*"
        Resource = "*"
      },
    ]
  })
}

resource "aws_iam_policy" "managed" {
  name   = "managed"
  policy = <<-EOF
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": ["s3:PutBucketPolicy", "s3:GetBucketPolicy"],
          "Resource": "arn:aws:s3:::${var.bucket}"
        }
      ]
    }
  EOF
}

resource "aws_iam_role_policy_attachment" "managed" {
  role       = aws_iam_role.app.name
  policy_arn = aws_iam_policy.managed.arn
}

variable "extra_action" {
  type = string
}

variable "bucket" {
  type = string
}
