resource "aws_iam_role" "app" {
  name = "app"
  tags = { a = }
}
