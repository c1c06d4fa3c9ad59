# One module instance per team, under for_each: each instance's role is
# named by the plan, and the module's policy keeps what any team uses.
module "team" {
  source   = "./modules/team"
  for_each = toset(["a", "b"])
  name     = "team-${each.key}"
}
