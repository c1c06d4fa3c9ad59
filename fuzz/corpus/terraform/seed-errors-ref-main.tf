resource "aws_iam_role_policy" "p" {
  name = "p"
  role = aws_iam_role.missing.id
  policy = jsonencode({
    Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]
  })
}
