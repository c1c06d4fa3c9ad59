//! Unified diffs of a policy file before and after refinement.
//!
//! The "after" side is the file as [`crate::hosts::Host::rewrite`] rewrites it, every
//! unchanged byte kept, so the diff shows only the action lines that changed
//! and the statements that went, and `git apply` applies it.
//!
//! # Why not a plain Myers diff
//!
//! Myers' algorithm takes time proportional to (lines) × (lines changed).
//! A refinement can change a great deal from little input: `"Action": "*"`
//! under `--exact` becomes 22,000 lines, and a plain Myers diff of a few
//! such statements took minutes. So the line matching here is done in
//! linear-ish steps, and Myers runs only on small gaps:
//!
//! 1. lines common to the start and the end of both texts are equal;
//! 2. in between, lines that occur exactly once in each text are anchors
//!    (the longest run of them in the same order, as in patience diff), and
//!    the gaps between anchors are matched the same way, to a fixed depth;
//! 3. a gap of at most [`MYERS_LIMIT`] lines goes to Myers (`similar`); a
//!    larger gap with no anchors is shown as removed and added whole.
//!
//! Step 3's fallback only makes a diff longer than it could be, never wrong;
//! it happens for large changes among repeated identical lines, where a
//! minimal diff would not read better anyway. The result depends only on the
//! two texts (no deadline, no clock), so the same input gives the same diff.

use similar::udiff::UnifiedDiffHunk;
use similar::{Algorithm, DiffOp, TextDiff};
use std::collections::HashMap;

/// The largest gap (old plus new lines) given to Myers' algorithm: its cost
/// is at most the square of this, a few million steps.
pub const MYERS_LIMIT: usize = 2_000;

/// How deep the anchor search recurses into gaps; bounded so that input
/// cannot drive the recursion.
const DEPTH_LIMIT: usize = 8;

/// The unified diff from `old` to `new`, with `a/NAME` and `b/NAME` headers
/// and three lines of context; empty when the texts are equal.
pub fn unified(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    // `similar` splits the lines and formats the hunks. Its own matching is
    // cut short at once (a deadline already past: a single replacement, in
    // linear time) and replaced by `line_ops`.
    let lines = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .deadline(std::time::Instant::now())
        .diff_lines(old, new);
    let ops = line_ops(lines.old_slices(), lines.new_slices());
    let mut out = format!(
        "--- {}\n+++ {}\n",
        patch_name("a/", name),
        patch_name("b/", name)
    );
    let mut hunks = 0;
    for group in similar::group_diff_ops(ops, 3) {
        out.push_str(&UnifiedDiffHunk::new(group, &lines, true).to_string());
        hunks += 1;
    }
    if hunks == 0 {
        return String::new();
    }
    out
}

/// The diff operations turning the `old` lines into the `new` ones.
fn line_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    let mut ops = Ops::default();
    ops.gap(old, new, 0, old.len(), 0, new.len(), 0);
    ops.finish(old.len(), new.len());
    ops.list
}

/// Diff operations in order, adjacent equal runs merged.
#[derive(Default)]
struct Ops {
    list: Vec<DiffOp>,
    /// Lines of `old` and `new` covered so far.
    old_at: usize,
    new_at: usize,
}

impl Ops {
    /// `len` equal lines at the current position.
    fn equal(&mut self, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(DiffOp::Equal { len: last, .. }) = self.list.last_mut() {
            *last += len;
        } else {
            self.list.push(DiffOp::Equal {
                old_index: self.old_at,
                new_index: self.new_at,
                len,
            });
        }
        self.old_at += len;
        self.new_at += len;
    }

    /// The next `old_len` lines replaced by the next `new_len`.
    fn change(&mut self, old_len: usize, new_len: usize) {
        let (old_index, new_index) = (self.old_at, self.new_at);
        let op = match (old_len, new_len) {
            (0, 0) => return,
            (_, 0) => DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            },
            (0, _) => DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            },
            _ => DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            },
        };
        self.list.push(op);
        self.old_at += old_len;
        self.new_at += new_len;
    }

    /// Matches `old[o0..o1]` with `new[n0..n1]`; the current position is
    /// (`o0`, `n0`).
    #[allow(clippy::too_many_arguments)]
    fn gap(
        &mut self,
        old: &[&str],
        new: &[&str],
        mut o0: usize,
        mut o1: usize,
        mut n0: usize,
        mut n1: usize,
        depth: usize,
    ) {
        let head = old[o0..o1]
            .iter()
            .zip(&new[n0..n1])
            .take_while(|(a, b)| a == b)
            .count();
        self.equal(head);
        o0 += head;
        n0 += head;
        let tail = old[o0..o1]
            .iter()
            .rev()
            .zip(new[n0..n1].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        o1 -= tail;
        n1 -= tail;
        let (old_len, new_len) = (o1 - o0, n1 - n0);
        if old_len == 0 || new_len == 0 {
            self.change(old_len, new_len);
        } else if old_len + new_len <= MYERS_LIMIT {
            self.myers(&old[o0..o1], &new[n0..n1]);
        } else {
            let anchors = if depth < DEPTH_LIMIT {
                anchors(old, new, o0, o1, n0, n1)
            } else {
                Vec::new()
            };
            if anchors.is_empty() {
                self.change(old_len, new_len);
            } else {
                let (mut o, mut n) = (o0, n0);
                for (ao, an) in anchors {
                    self.gap(old, new, o, ao, n, an, depth + 1);
                    self.equal(1);
                    (o, n) = (ao + 1, an + 1);
                }
                self.gap(old, new, o, o1, n, n1, depth + 1);
            }
        }
        self.equal(tail);
    }

    /// Myers' diff of a small gap, appended at the current position.
    fn myers(&mut self, old: &[&str], new: &[&str]) {
        for op in similar::capture_diff_slices(Algorithm::Myers, old, new) {
            match op {
                DiffOp::Equal { len, .. } => self.equal(len),
                DiffOp::Delete { old_len, .. } => self.change(old_len, 0),
                DiffOp::Insert { new_len, .. } => self.change(0, new_len),
                DiffOp::Replace {
                    old_len, new_len, ..
                } => self.change(old_len, new_len),
            }
        }
    }

    /// Checks that the operations cover both texts.
    fn finish(&self, old_len: usize, new_len: usize) {
        debug_assert_eq!((self.old_at, self.new_at), (old_len, new_len));
    }
}

/// Lines that occur exactly once in `old[o0..o1]` and once in `new[n0..n1]`,
/// as (old index, new index) pairs: the longest chain of them increasing in
/// both, found by patience sorting in O(k log k).
fn anchors(
    old: &[&str],
    new: &[&str],
    o0: usize,
    o1: usize,
    n0: usize,
    n1: usize,
) -> Vec<(usize, usize)> {
    // line -> (count in old, index in old, count in new, index in new)
    let mut seen: HashMap<&str, (u32, usize, u32, usize)> = HashMap::new();
    for (i, line) in old.iter().enumerate().take(o1).skip(o0) {
        let entry = seen.entry(line).or_insert((0, i, 0, 0));
        entry.0 = entry.0.saturating_add(1);
    }
    for (j, line) in new.iter().enumerate().take(n1).skip(n0) {
        if let Some(entry) = seen.get_mut(line) {
            entry.2 = entry.2.saturating_add(1);
            entry.3 = j;
        }
    }
    let mut pairs: Vec<(usize, usize)> = seen
        .into_values()
        .filter(|&(old_count, _, new_count, _)| old_count == 1 && new_count == 1)
        .map(|(_, i, _, j)| (i, j))
        .collect();
    pairs.sort_unstable();
    longest_increasing(&pairs)
}

/// The longest subsequence of `pairs` (sorted by old index) whose new
/// indexes increase.
fn longest_increasing(pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // tails[k]: index into `pairs` of the smallest tail of a chain of k + 1.
    let mut tails: Vec<usize> = Vec::new();
    let mut previous: Vec<Option<usize>> = vec![None; pairs.len()];
    for (p, &(_, j)) in pairs.iter().enumerate() {
        let k = tails.partition_point(|&t| pairs[t].1 < j);
        previous[p] = k.checked_sub(1).map(|k| tails[k]);
        if k == tails.len() {
            tails.push(p);
        } else {
            tails[k] = p;
        }
    }
    let mut chain = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(p) = at {
        chain.push(pairs[p]);
        at = previous[p];
    }
    chain.reverse();
    chain
}

/// `prefix` + `name` as a patch header names a file: as it is, or, when the
/// name holds a control character, `"` or `\`, in double quotes with C
/// escapes, as git writes and `git apply` reads such names. A file name can
/// then never break the patch (or forge a line of it).
fn patch_name(prefix: &str, name: &str) -> String {
    let plain = !name
        .chars()
        .any(|c| c.is_control() || c == '"' || c == '\\');
    if plain {
        return format!("{prefix}{name}");
    }
    let mut out = String::from("\"");
    out.push_str(prefix);
    for c in name.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let mut buf = [0; 4];
                for byte in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{byte:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_break_a_patch_are_quoted_as_git_quotes_them() {
        assert_eq!(patch_name("a/", "p/x.json"), "a/p/x.json");
        assert_eq!(patch_name("a/", "nl/all\nF.json"), "\"a/nl/all\\nF.json\"");
        assert_eq!(patch_name("b/", "q\"\\\u{1b}"), "\"b/q\\\"\\\\\\033\"");
        assert_eq!(patch_name("a/", "été.json"), "a/été.json");
    }

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

    #[test]
    fn missing_final_newline_is_marked() {
        assert_eq!(
            unified("p.json", "a\nb", "a\nc"),
            "--- a/p.json\n+++ b/p.json\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }

    /// Applies `ops` to `old`, reading inserted lines from `new`: what the
    /// diff claims must rebuild `new` exactly.
    fn rebuild(old: &[&str], new: &[&str], ops: &[DiffOp]) -> Vec<String> {
        let mut out = Vec::new();
        let (mut o, mut n) = (0, 0);
        for op in ops {
            assert_eq!(op.old_range().start, o, "{ops:?}");
            assert_eq!(op.new_range().start, n, "{ops:?}");
            if let DiffOp::Equal { len, .. } = op {
                for k in 0..*len {
                    assert_eq!(old[o + k], new[n + k], "an equal line differs");
                }
            }
            out.extend(op.new_range().map(|j| new[j].to_string()));
            o = op.old_range().end;
            n = op.new_range().end;
        }
        assert_eq!((o, n), (old.len(), new.len()));
        out
    }

    fn lines(text: &str) -> Vec<&str> {
        text.split_inclusive('\n').collect()
    }

    /// Large gaps with unique lines around them, and large gaps without:
    /// the operations always rebuild the new text, and unchanged unique
    /// lines stay equal.
    #[test]
    fn large_changes_are_split_at_unique_lines() {
        let mut old = String::new();
        let mut new = String::new();
        for s in 0..50 {
            old.push_str(&format!("sid {s}\n  \"*\"\n"));
            new.push_str(&format!("sid {s}\n"));
            for a in 0..100 {
                new.push_str(&format!("  \"a{a}\"\n"));
            }
        }
        let (o, n) = (lines(&old), lines(&new));
        let ops = line_ops(&o, &n);
        assert_eq!(rebuild(&o, &n, &ops).concat(), new);
        let equal: usize = ops
            .iter()
            .filter(|op| matches!(op, DiffOp::Equal { .. }))
            .map(|op| op.old_range().len())
            .sum();
        assert_eq!(equal, 50, "every sid line stays: {ops:?}");

        // Identical repeated lines, nothing unique: still a correct diff.
        let old = "x\n".repeat(3000);
        let new = "x\ny\n".repeat(1500);
        let (o, n) = (lines(&old), lines(&new));
        assert_eq!(rebuild(&o, &n, &line_ops(&o, &n)).concat(), new);
    }

    #[test]
    fn longest_increasing_chain() {
        let pairs = [(0, 3), (1, 1), (2, 2), (3, 0), (4, 4)];
        assert_eq!(longest_increasing(&pairs), vec![(1, 1), (2, 2), (4, 4)]);
        assert_eq!(longest_increasing(&[]), Vec::<(usize, usize)>::new());
    }
}
