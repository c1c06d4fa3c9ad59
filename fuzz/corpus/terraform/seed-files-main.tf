resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

# Policies kept in files of their own: refined there, owned by the role.
resource "aws_iam_role_policy" "s3" {
  name   = "s3"
  role   = aws_iam_role.app.id
  policy = file("${path.module}/policies/s3.json")
}

resource "aws_iam_role_policy" "logs" {
  name   = "logs"
  role   = aws_iam_role.app.id
  policy = templatefile("${path.module}/policies/queue.json.tpl", { queue = "jobs" })
}
