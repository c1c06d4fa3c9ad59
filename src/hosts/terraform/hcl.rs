//! HCL read as refine reads every host: a tree of [`Value`]s whose spans
//! point into the `.tf` file, with what refine does not evaluate kept
//! aside as opaque values.
//!
//! hcl-edit parses the file and says where each part is; nothing is ever
//! printed back from its tree (its printer does not keep every byte), so
//! rewrites are splices into the original text.
//!
//! An expression refine cannot evaluate (`var.actions`, `"${local.svc}:*"`,
//! `concat(...)`, a `for` expression) becomes an opaque value: an object
//! of one member named [`OPAQUE`], which the shared view
//! ([`crate::hosts::view`]) treats as it treats a CloudFormation
//! intrinsic function: an opaque entry stays where it is, a statement
//! whose Effect or action element is opaque stays whole.

use crate::json::{self, Kind, Member, Span, Value};
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block, Body};

/// The key of an opaque value's one member.
pub const OPAQUE: &str = "Terraform::Expression";

/// Where an HCL node is, as a [`Span`]; empty when hcl-edit does not say.
pub fn span_of(node: &impl hcl_edit::Span) -> Span {
    node.span().map_or(Span::default(), |r| Span {
        start: r.start,
        end: r.end,
    })
}

/// An opaque value for the text at `span`.
pub fn opaque(text: &str, span: Span) -> Value {
    let written = text.get(span.start..span.end).unwrap_or_default();
    Value {
        span,
        kind: Kind::Object(vec![Member {
            key: OPAQUE.to_string(),
            key_span: span,
            value: Value {
                span,
                kind: Kind::String(written.to_string()),
            },
        }]),
    }
}

/// Whether `value` is an opaque value.
pub fn is_opaque(value: &Value) -> bool {
    matches!(value.as_object(), Some([member]) if member.key == OPAQUE)
}

/// `expr` as a JSON value, as `jsonencode` would make it: literals as
/// they are, tuples and objects element by element, anything else opaque.
pub fn value(text: &str, expr: &Expression) -> Value {
    let span = span_of(expr);
    let kind = match expr {
        Expression::Null(_) => Kind::Null,
        Expression::Bool(b) => Kind::Bool(*b.value()),
        Expression::Number(_) => Kind::Number(text[span.start..span.end].trim().to_string()),
        Expression::String(s) => Kind::String(s.value().clone()),
        Expression::Array(items) => Kind::Array(items.iter().map(|e| value(text, e)).collect()),
        Expression::Object(object) => {
            let mut members = Vec::new();
            for (key, item) in object.iter() {
                let (name, key_span) = match key {
                    ObjectKey::Ident(ident) => (ident.as_str().to_string(), span_of(ident)),
                    ObjectKey::Expression(Expression::String(s)) => (s.value().clone(), span_of(s)),
                    ObjectKey::Expression(_) => return opaque(text, span),
                };
                members.push(Member {
                    key: name,
                    key_span,
                    value: value(text, item.expr()),
                });
            }
            Kind::Object(members)
        }
        _ => return opaque(text, span),
    };
    Value { span, kind }
}

/// The JSON document written in a heredoc (`<<EOF` or `<<-EOF`), its
/// spans in the file; strings holding template syntax (`${...}`, `%{`)
/// opaque. `Err` says why it is not read: not JSON outside its strings.
pub fn heredoc_document(text: &str, body: Span) -> Result<Value, String> {
    let inner = &text[body.start..body.end];
    let mut document = json::read(inner, "a policy document in a heredoc")
        .map_err(|_| "the heredoc is not JSON (template syntax outside a string?)".to_string())?;
    shift(&mut document, body.start);
    mark_templates(text, &mut document);
    Ok(document)
}

/// Moves every span of `value` by `by` bytes.
fn shift(value: &mut Value, by: usize) {
    value.span.start += by;
    value.span.end += by;
    match &mut value.kind {
        Kind::Array(items) => items.iter_mut().for_each(|v| shift(v, by)),
        Kind::Object(members) => {
            for member in members {
                member.key_span.start += by;
                member.key_span.end += by;
                shift(&mut member.value, by);
            }
        }
        _ => {}
    }
}

/// Makes every string of `value` that holds template syntax (`${`, `%{`)
/// opaque: in a heredoc, a policy file, a `.tf.json` string.
pub fn mark_templates(text: &str, value: &mut Value) {
    match &mut value.kind {
        Kind::String(s) if s.contains("${") || s.contains("%{") => {
            *value = opaque(text, value.span);
        }
        Kind::Array(items) => items.iter_mut().for_each(|v| mark_templates(text, v)),
        Kind::Object(members) => members
            .iter_mut()
            .for_each(|m| mark_templates(text, &mut m.value)),
        _ => {}
    }
}

/// A block's labels (`resource "aws_iam_role" "app"`: `aws_iam_role`,
/// `app`).
pub fn labels(block: &Block) -> Vec<&str> {
    block.labels.iter().map(|l| l.as_str()).collect()
}

/// The attribute `key` of `body`, if it has one.
pub fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.get_attribute(key).map(|a| &a.value)
}

/// A string literal's value.
pub fn literal(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s.value().as_str()),
        _ => None,
    }
}

/// A reference: the names a traversal starts with (`aws_iam_role.app.arn`
/// is `["aws_iam_role", "app", "arn"]`, up to the first index or splat),
/// and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The leading names.
    pub names: Vec<String>,
    /// Where the whole traversal is written.
    pub span: Span,
}

/// The references in `expr`, in order, nested ones included.
pub fn references(expr: &Expression) -> Vec<Reference> {
    let mut collector = Collector(Vec::new());
    hcl_edit::visit::Visit::visit_expr(&mut collector, expr);
    collector.0
}

/// The references in a whole body (every attribute of every nested block).
pub fn body_references(body: &Body) -> Vec<Reference> {
    let mut collector = Collector(Vec::new());
    hcl_edit::visit::Visit::visit_body(&mut collector, body);
    collector.0
}

/// The string literals written in `body` (literal parts of templates
/// included) and where each is, for finding names written out
/// (`"...:policy/app"`, `"${path.module}/p.json"`).
pub fn strings(body: &Body) -> Vec<(Span, String)> {
    struct Strings(Vec<(Span, String)>);
    impl hcl_edit::visit::Visit for Strings {
        fn visit_string(&mut self, value: &hcl_edit::Decorated<String>) {
            self.0.push((span_of(value), value.value().clone()));
        }
        fn visit_literal(&mut self, value: &hcl_edit::Spanned<String>) {
            self.0.push((span_of(value), value.value().clone()));
        }
    }
    let mut strings = Strings(Vec::new());
    hcl_edit::visit::Visit::visit_body(&mut strings, body);
    strings.0
}

/// Every call of a function named in `names` in `body`: where, and its
/// first argument.
pub fn calls<'b>(body: &'b Body, names: &[&str]) -> Vec<(Span, Option<&'b Expression>)> {
    calls_in(body, names)
}

/// See [`calls`]: the body walked by hand (hcl-edit's visitor does not
/// hand out references that outlive a visit). Expressions inside template
/// directives (`%{ for }`) are not walked.
fn calls_in<'b>(body: &'b Body, names: &[&str]) -> Vec<(Span, Option<&'b Expression>)> {
    let mut found = Vec::new();
    for structure in body.iter() {
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => {
                expression_calls(&attr.value, names, &mut found)
            }
            hcl_edit::structure::Structure::Block(block) => {
                found.extend(calls_in(&block.body, names))
            }
        }
    }
    found
}

fn expression_calls<'b>(
    expr: &'b Expression,
    names: &[&str],
    found: &mut Vec<(Span, Option<&'b Expression>)>,
) {
    match expr {
        Expression::FuncCall(call) => {
            if names.contains(&call.name.name.as_str()) {
                found.push((span_of(expr), call.args.iter().next()));
            }
            for arg in call.args.iter() {
                expression_calls(arg, names, found);
            }
        }
        Expression::Array(items) => items.iter().for_each(|e| expression_calls(e, names, found)),
        Expression::Object(object) => object
            .iter()
            .for_each(|(_, v)| expression_calls(v.expr(), names, found)),
        Expression::Parenthesis(p) => expression_calls(p.inner(), names, found),
        Expression::Conditional(c) => {
            expression_calls(&c.cond_expr, names, found);
            expression_calls(&c.true_expr, names, found);
            expression_calls(&c.false_expr, names, found);
        }
        Expression::BinaryOp(op) => {
            expression_calls(&op.lhs_expr, names, found);
            expression_calls(&op.rhs_expr, names, found);
        }
        Expression::UnaryOp(op) => expression_calls(&op.expr, names, found),
        Expression::Traversal(t) => expression_calls(&t.expr, names, found),
        Expression::ForExpr(f) => {
            expression_calls(&f.intro.collection_expr, names, found);
            if let Some(key) = &f.key_expr {
                expression_calls(key, names, found);
            }
            expression_calls(&f.value_expr, names, found);
        }
        Expression::StringTemplate(t) => template_calls(t, names, found),
        Expression::HeredocTemplate(h) => template_calls(&h.template, names, found),
        _ => {}
    }
}

fn template_calls<'b>(
    template: &'b hcl_edit::template::Template,
    names: &[&str],
    found: &mut Vec<(Span, Option<&'b Expression>)>,
) {
    for element in template.iter() {
        if let hcl_edit::template::Element::Interpolation(i) = element {
            expression_calls(&i.expr, names, found);
        }
    }
}

struct Collector(Vec<Reference>);

impl hcl_edit::visit::Visit for Collector {
    fn visit_expr(&mut self, expr: &Expression) {
        if let Expression::Variable(root) = expr {
            self.0.push(Reference {
                names: vec![root.as_str().to_string()],
                span: span_of(root),
            });
            return;
        }
        hcl_edit::visit::visit_expr(self, expr);
    }

    fn visit_traversal(&mut self, node: &hcl_edit::expr::Traversal) {
        if let Expression::Variable(root) = &node.expr {
            let mut names = vec![root.as_str().to_string()];
            for op in &node.operators {
                match op.value() {
                    TraversalOperator::GetAttr(name) => names.push(name.as_str().to_string()),
                    _ => break,
                }
            }
            self.0.push(Reference {
                names,
                span: span_of(node),
            });
            for op in &node.operators {
                hcl_edit::visit::Visit::visit_traversal_operator(self, op.value());
            }
            return;
        }
        hcl_edit::visit::visit_traversal(self, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> (String, Expression) {
        let file = format!("x = {text}\n");
        let body = hcl_edit::parser::parse_body(&file).unwrap();
        let value = body.get_attribute("x").unwrap().value.clone();
        (file, value)
    }

    #[test]
    fn literals_become_json_and_expressions_stay_opaque_with_their_text() {
        let (file, e) = expr(
            "{\n  Version = \"2012-10-17\"\n  \"Statement\" = [{ Action = [\"s3:Get*\", var.extra, \"${local.s}:List*\"], N = 1.5 }]\n}",
        );
        let v = value(&file, &e);
        let statement = v["Statement"].element(0).unwrap();
        let action = statement["Action"].as_array().unwrap();
        assert_eq!(action[0].as_str(), Some("s3:Get*"));
        assert_eq!(
            &file[action[0].span.start..action[0].span.end],
            "\"s3:Get*\""
        );
        assert!(is_opaque(&action[1]) && is_opaque(&action[2]));
        assert_eq!(
            action[1]["Terraform::Expression"].as_str(),
            Some("var.extra")
        );
        assert_eq!(statement["N"].kind, Kind::Number("1.5".into()));
        let key = v.member("Statement").unwrap();
        assert_eq!(&file[key.key_span.start..key.key_span.end], "\"Statement\"");
    }

    #[test]
    fn a_heredoc_is_json_placed_in_the_file_with_template_strings_opaque() {
        let (file, e) = expr(
            "<<-EOF\n  {\"Statement\": [{\"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"${var.a}\"]}]}\n  EOF",
        );
        let Expression::HeredocTemplate(h) = &e else {
            panic!("not a heredoc")
        };
        let doc = heredoc_document(&file, span_of(&h.template)).unwrap();
        let action = doc["Statement"].element(0).unwrap()["Action"]
            .as_array()
            .unwrap();
        assert_eq!(
            &file[action[0].span.start..action[0].span.end],
            "\"s3:GetObject\""
        );
        assert!(is_opaque(&action[1]));
        let (file, e) = expr("<<EOF\n{\"Statement\": ${jsonencode(local.s)}}\nEOF");
        let Expression::HeredocTemplate(h) = &e else {
            panic!("not a heredoc")
        };
        assert!(heredoc_document(&file, span_of(&h.template)).is_err());
    }

    #[test]
    fn references_name_their_leading_attributes_nested_ones_included() {
        let (_, e) = expr(
            "concat(aws_iam_role.app[*].name, [data.aws_iam_policy_document.d.json], \"${var.x}\", local.y[\"k\"].z)",
        );
        let names: Vec<String> = references(&e)
            .into_iter()
            .map(|r| r.names.join("."))
            .collect();
        assert_eq!(
            names,
            vec![
                "aws_iam_role.app",
                "data.aws_iam_policy_document.d.json",
                "var.x",
                "local.y"
            ]
        );
    }
}
