//! Canonical JSON values: two policy elements compare equal exactly when
//! IAM reads them the same way.
//!
//! Verification matches a refined statement to the original statements with
//! the same Effect, Resource, NotResource, Condition, Principal and
//! NotPrincipal. Comparing their text would be wrong both ways: key order
//! in an object means nothing (`{"a": 1, "b": 2}` is `{"b": 2, "a": 1}`),
//! `100` and `1e2` are one number, and IAM treats every list in these
//! elements as a set (Resource lists, condition value lists, principal
//! lists), where a lone value is a list of one. So a [`Canonical`] value
//! sorts object members by key, keeps numbers by value, and turns each
//! list into a sorted set whose single element stands for itself. The
//! type is a plain tree with derived equality, ordering and hashing:
//! nothing is joined into a string, so no two different values can
//! collide.

use crate::json::{Kind, Value};

/// A JSON value in canonical form (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Canonical {
    /// `null`, or an absent element.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, by value.
    Number(Decimal),
    /// A string, exactly.
    String(String),
    /// A list of two or more distinct values, sorted.
    Set(Vec<Canonical>),
    /// An object's members, sorted by key.
    Object(Vec<(String, Canonical)>),
}

/// A JSON number by value: `1e2`, `100` and `100.0` are one number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decimal {
    /// `±0.d₁d₂…dₙ × 10^exponent`, with `digits` free of leading and
    /// trailing zeros; zero is `negative: false`, no digits, exponent 0.
    Finite {
        /// Below zero.
        negative: bool,
        /// The significant digits.
        digits: String,
        /// The power of ten.
        exponent: i64,
    },
    /// A number whose exponent does not fit in 64 bits, as written.
    Huge(String),
}

impl Canonical {
    /// The canonical form of `value`.
    pub fn of(value: &Value) -> Canonical {
        match &value.kind {
            Kind::Null => Canonical::Null,
            Kind::Bool(b) => Canonical::Bool(*b),
            Kind::Number(text) => Canonical::Number(Decimal::parse(text)),
            Kind::String(s) => Canonical::String(s.clone()),
            Kind::Array(items) => {
                let mut items: Vec<Canonical> = items.iter().map(Canonical::of).collect();
                items.sort();
                items.dedup();
                match items.len() {
                    1 => items.pop().unwrap_or(Canonical::Null),
                    _ => Canonical::Set(items),
                }
            }
            Kind::Object(members) => {
                let mut members: Vec<(String, Canonical)> = members
                    .iter()
                    .map(|m| (m.key.clone(), Canonical::of(&m.value)))
                    .collect();
                members.sort();
                Canonical::Object(members)
            }
        }
    }
}

impl Decimal {
    /// The value of a JSON number's text (as JSON spells numbers: sign,
    /// integer part, fraction, exponent).
    pub fn parse(text: &str) -> Decimal {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, "0"),
        };
        let Ok(exponent) = exponent.trim_start_matches('+').parse::<i64>() else {
            return Decimal::Huge(text.to_string());
        };
        let (integer, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all = format!("{integer}{fraction}");
        let leading = all.len() - all.trim_start_matches('0').len();
        let digits = all.trim_matches('0');
        if digits.is_empty() {
            return Decimal::Finite {
                negative: false,
                digits: String::new(),
                exponent: 0,
            };
        }
        // 0.d₁d₂… × 10^e: the point sits after the integer part, less the
        // leading zeros dropped.
        let point = integer.len() as i64 - leading as i64;
        match exponent.checked_add(point) {
            Some(exponent) => Decimal::Finite {
                negative,
                digits: digits.to_string(),
                exponent,
            },
            None => Decimal::Huge(text.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The canonical form of a value written with `json!`.
    fn canonical(value: &serde_json::Value) -> Canonical {
        Canonical::of(&Value::from(value))
    }

    fn same(a: &str, b: &str) -> bool {
        Decimal::parse(a) == Decimal::parse(b)
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(same("100", "1e2"));
        assert!(same("1E+2", "100.000"));
        assert!(same("0.5", "5e-1"));
        assert!(same("-0", "0.0e7"));
        assert!(same("0012", "12"));
        assert!(!same("12", "120"));
        assert!(!same("-1", "1"));
        assert!(!same("1e2", "1e3"));
        assert!(same("1e99999999999999999999", "1e99999999999999999999"));
        assert!(!same("1e99999999999999999999", "1e99999999999999999998"));
    }

    #[test]
    fn objects_ignore_key_order_and_lists_are_sets() {
        let a = json!({"StringEquals": {"a": "x", "b": ["2", "1", "2"]}, "Bool": {"c": true}});
        let b = json!({"Bool": {"c": true}, "StringEquals": {"b": ["1", "2"], "a": ["x"]}});
        assert_eq!(canonical(&a), canonical(&b));
        let c = json!({"StringEquals": {"a": "x", "b": ["1"]}, "Bool": {"c": true}});
        assert_ne!(canonical(&a), canonical(&c));
        assert_ne!(canonical(&json!("1")), canonical(&json!(1)));
    }

    /// Values that a joined string would confuse stay apart.
    #[test]
    fn no_separator_can_collide() {
        let joined = json!(["*\u{1}s3:DeleteBucket"]);
        let split = json!(["*", "s3:DeleteBucket"]);
        assert_ne!(canonical(&joined), canonical(&split));
        assert_ne!(
            canonical(&json!({"a": "b", "c": "d"})),
            canonical(&json!({"a": "b\",\"c\":\"d"}))
        );
    }
}
