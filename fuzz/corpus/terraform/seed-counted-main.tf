# Two workers under count, named by an expression: their names come from
# the state, and their shared inline policy keeps what either uses.
resource "aws_iam_role" "worker" {
  count              = 2
  name               = "worker-${count.index}"
  assume_role_policy = "{}"
}

resource "aws_iam_role_policy" "queue" {
  count = 2
  name  = "queue"
  role  = aws_iam_role.worker[count.index].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"]
      Resource = "*"
    }]
  })
}
