#!/usr/bin/env python3
"""The literal action lists of the IAM policies in .tf files, as python-hcl2
reads them: an HCL reader independent of refine's (hcl-edit), for
tests/real_terraform.rs. Run with the python of target/validators-venv
(scripts/validators installs python-hcl2 8.1.4 there):

    target/validators-venv/bin/python scripts/hcl2_actions.py FILE.tf...

Prints one JSON object: for each file, by policy address, its statements in
the order written:

    {"FILE.tf": {"data.aws_iam_policy_document.s3": [
        {"line": 19, "end_line": 27, "principals": false,
         "actions": ["s3:GetObject"], "expressions": 0}, ...]}}

What it reads:
* `data "aws_iam_policy_document"`: each `statement` block (a
  `dynamic "statement"` is not one): `line` and `end_line` (1-based) are
  where the block is written; `actions` and `not_actions`, when present,
  are their string elements that are literal, in order; `null` when the
  whole attribute is an expression (`compact([...])`, `var.x`).
* The `policy` of `aws_iam_policy`, `aws_iam_role_policy`,
  `aws_iam_user_policy`, `aws_iam_group_policy` and of each
  `inline_policy` block of `aws_iam_role` (addressed
  `aws_iam_role.NAME.inline_policy[I]`), when it is `jsonencode({...})`
  (python-hcl2 gives it as an expression string, whose object is read by
  python-hcl2 again) or JSON in a heredoc: each `Statement`'s `Action` and
  `NotAction` as `actions` and `not_actions` (a string is a list of one);
  no `line`. A policy written any other way (a reference, `file(...)`) is
  not listed; a heredoc that is not JSON is listed as `{"unread": WHY}`.

`principals` says the statement names `principals` or `not_principals`
(blocks, dynamic ones too; `Principal` or `NotPrincipal` in JSON): a
trust or resource policy's. An element
that is not a literal string (a reference, a function call, a string
holding `${...}` or `%{...}`) is left out and counted in `expressions`.
Statements are read as written: `count`, `for_each` and conditions are
not evaluated.
"""

import json
import re
import sys

import hcl2
from hcl2.rules.base import BlockRule
from hcl2.utils import SerializationOptions

# Strings keep their quotes, so that a literal ("s3:GetObject" with its
# quotes) is told from an expression (${var.x}).
OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=False, strip_string_quotes=False
)

INLINE = {"aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy"}
JSONENCODE = re.compile(r"^\$\{jsonencode\((.*)\)\}$", re.DOTALL)


def literal(value):
    """The text of a literal string element; None for anything else."""
    if not (isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"'):
        return None
    if "${" in value or "%{" in value:
        return None
    return json.loads(value)


def unquote(label):
    """A label or key without the quotes python-hcl2 keeps."""
    return label[1:-1] if label.startswith('"') and label.endswith('"') else label


def action_list(value, decode):
    """(literal entries, expressions) of a list or string; None for an
    expression standing for the whole list."""
    items = value if isinstance(value, list) else [value]
    if not isinstance(value, list) and decode(value) is None:
        return None, 0
    found = [decode(v) for v in items]
    return [v for v in found if v is not None], sum(v is None for v in found)


def statement(fields, keys, decode, principals):
    """One statement's action lists, from its fields as python-hcl2 gives
    them (a block's attributes and nested blocks, a JSON object)."""
    dynamic = [unquote(k) for d in fields.get("dynamic", []) if isinstance(d, dict) for k in d]
    out = {"principals": any(k in fields or k in dynamic for k in principals)}
    skipped = 0
    for key, name in keys:
        if key in fields:
            out[name], n = action_list(fields[key], decode)
            skipped += n
    out["expressions"] = skipped
    return out


def document_statements(block):
    """The statement blocks of a data "aws_iam_policy_document"."""
    out = []
    for child in block.body.children:
        if isinstance(child, BlockRule) and child.labels[0].serialize(OPTIONS) == "statement":
            fields = child.body.serialize(OPTIONS)
            # Lark's positions (python-hcl2 8.1.4 declares a with_meta
            # option but does not implement it).
            entry = {"line": child._meta.line, "end_line": child._meta.end_line}
            entry.update(
                statement(
                    fields,
                    [("actions", "actions"), ("not_actions", "not_actions")],
                    literal,
                    ("principals", "not_principals"),
                )
            )
            out.append(entry)
    return out


def unquote_keys(value):
    """An object of python-hcl2's, its quoted keys unquoted."""
    if isinstance(value, dict):
        return {unquote(k): unquote_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unquote_keys(v) for v in value]
    return value


def json_literal(value):
    if isinstance(value, str) and "${" not in value and "%{" not in value:
        return value
    return None


def written_policy(value):
    """The statements of a policy attribute written in the file; None when
    it is not (a reference, a function other than jsonencode)."""
    if not isinstance(value, str):
        return None
    keys = [("Action", "actions"), ("NotAction", "not_actions")]
    principals = ("Principal", "NotPrincipal")
    match = JSONENCODE.match(value)
    if match:
        # The object, read by python-hcl2 again.
        document = unquote_keys(hcl2.loads("p = " + match.group(1), serialization_options=OPTIONS)["p"])
        decode = literal
    elif value.startswith('"<<'):
        # Kept as a heredoc, in quotes: its lines between the markers.
        body = value[1:-1].split("\n", 1)[1].rsplit("\n", 1)[0]
        try:
            document = json.loads(body)
        except ValueError as err:
            return {"unread": f"a heredoc that is not JSON: {err}"}
        decode = json_literal
    else:
        return None
    found = document.get("Statement", []) if isinstance(document, dict) else []
    found = found if isinstance(found, list) else [found]
    return [statement(s, keys, decode, principals) for s in found if isinstance(s, dict)]


def policies(text):
    """Every policy written in the HCL `text`, by address."""
    out = {}
    for block in hcl2.parses(text).body.children:
        if not isinstance(block, BlockRule):
            continue
        labels = [unquote(label.serialize(OPTIONS)) for label in block.labels]
        if len(labels) != 3:
            continue
        ident, kind, name = labels
        if ident == "data" and kind == "aws_iam_policy_document":
            out[f"data.{kind}.{name}"] = document_statements(block)
        elif ident == "resource" and kind in INLINE:
            fields = block.body.serialize(OPTIONS)
            found = written_policy(fields.get("policy"))
            if found is not None:
                out[f"{kind}.{name}"] = found
        elif ident == "resource" and kind == "aws_iam_role":
            fields = block.body.serialize(OPTIONS)
            for i, inline in enumerate(fields.get("inline_policy", [])):
                found = written_policy(inline.get("policy"))
                if found is not None:
                    out[f"{kind}.{name}.inline_policy[{i}]"] = found
    return out


def main(paths):
    result = {}
    for path in paths:
        with open(path, encoding="utf-8") as file:
            result[path] = policies(file.read())
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main(sys.argv[1:])
