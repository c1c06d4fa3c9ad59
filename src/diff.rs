//! Unified diffs of a policy file before and after refinement.
//!
//! The "after" side is the file as [`crate::rewrite`] rewrites it, every
//! unchanged byte kept, so the diff shows only the action lines that changed
//! and the statements that went, and `git apply` applies it.

use similar::TextDiff;

/// The unified diff from `old` to `new`, with `a/NAME` and `b/NAME` headers
/// and three lines of context; empty when the texts are equal.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_only_changed_lines_with_headers() {
        let old = "{\n  \"Action\": [\n    \"s3:Get*\",\n    \"s3:List*\"\n  ]\n}\n";
        let new = "{\n  \"Action\": [\n    \"s3:GetObject*\",\n    \"s3:List*\"\n  ]\n}\n";
        assert_eq!(
            unified("p.json", old, new),
            "--- a/p.json\n+++ b/p.json\n@@ -1,6 +1,6 @@\n {\n   \"Action\": [\n-    \"s3:Get*\",\n+    \"s3:GetObject*\",\n     \"s3:List*\"\n   ]\n }\n"
        );
        assert_eq!(unified("p.json", old, old), "");
    }
}
