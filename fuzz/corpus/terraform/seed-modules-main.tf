resource "aws_iam_role" "app" {
  name               = "app"
  assume_role_policy = "{}"
}

# The module's policy is attached to the role this call passes.
module "svc" {
  source    = "./modules/svc"
  role_name = aws_iam_role.app.name
}

module "remote" {
  source = "terraform-aws-modules/lambda/aws"
}
