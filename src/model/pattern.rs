//! IAM action globs: matching them, and deciding when one covers another.
//!
//! An `Action` or `NotAction` entry of a policy is a glob over the *whole*
//! action name: `s3:GetObject`, `s3:Get*`, `*`, `autoscaling:*Tags`,
//! `ec2:Describe?nstances`. `*` matches any run of characters (the empty run
//! too, and `:` too, so `s3*` covers `s3-object-lambda:GetObject`), `?`
//! matches exactly one character, and every other character matches itself.
//! There is no escape syntax, because AWS has none: no action name contains
//! `*` or `?`.
//!
//! Matching ignores case, because AWS does. Case is folded with
//! [`char::to_ascii_lowercase`] only: AWS action names are ASCII, so full
//! Unicode folding would buy nothing, and it would muddy what `?` means
//! (some characters fold to more than one). A non-ASCII character therefore
//! matches exactly itself.
//!
//! Refinement needs more than matching: to drop a statement as redundant, or
//! to replace a list of actions by a shorter one, it must know that one glob
//! covers *every* string another can match, not just the names some catalog
//! happens to list today. [`contains`] and [`uncovered`] decide that exactly,
//! as languages of strings; the automaton behind them lives in `language.rs`.

mod language;
pub use language::*;

use std::fmt;

/// Folds a character the way IAM compares action names (see the module docs).
///
/// Every comparison in this module goes through here, so that matching and
/// containment can never disagree about what "the same character" means.
fn fold(c: char) -> char {
    c.to_ascii_lowercase()
}

/// One token of a glob, case-folded.
///
/// Tokens are what both the matcher and the containment automaton work on;
/// folding once, at parse time, keeps case out of every later comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Token {
    /// A character that must appear, already ASCII-lowercased.
    Char(char),
    /// `?`: exactly one character, whatever it is.
    AnyOne,
    /// `*`: any run of characters, including none and including `:`.
    AnyRun,
}

/// An IAM action glob, as written and as parsed.
///
/// The original text is kept because refined policies should show patterns
/// the way their author wrote them (`s3:GetObject*`, not `s3:getobject*`);
/// the tokens are kept because every question about the glob is answered
/// from them.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
    /// Where the literal service prefix ends (the first `:`, when no
    /// wildcard comes before it): asked of every entry many times.
    service_end: Option<usize>,
}

impl Glob {
    /// Parses `text` as a glob.
    ///
    /// This never fails: every string is a valid glob, since there is no
    /// escape syntax to get wrong. Runs of `*` collapse into one
    /// [`Token::AnyRun`] (they match the same strings, and fewer tokens mean
    /// a smaller automaton), but [`Glob::as_str`] keeps the text as written.
    pub fn new(text: &str) -> Glob {
        let mut tokens = Vec::with_capacity(text.len());
        for c in text.chars() {
            let token = match c {
                '*' => Token::AnyRun,
                '?' => Token::AnyOne,
                other => Token::Char(fold(other)),
            };
            if !(token == Token::AnyRun && tokens.last() == Some(&Token::AnyRun)) {
                tokens.push(token);
            }
        }
        let service_end = text
            .find(':')
            .filter(|&colon| !text[..colon].contains(['*', '?']));
        Glob {
            text: text.to_owned(),
            tokens,
            service_end,
        }
    }

    /// The glob exactly as written, case and repeated `*` included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed, case-folded tokens, with runs of `*` collapsed.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Does the glob match all of `s`, ignoring ASCII case?
    ///
    /// Runs in `O(len(glob) * len(s))` at worst, without recursion, so a
    /// hostile policy cannot make it blow up.
    pub fn matches(&self, s: &str) -> bool {
        self.matches_parts(&[s])
    }

    /// Does the glob match the concatenation of `parts`?
    ///
    /// Catalogs store a service prefix and an action name separately; this
    /// matches `["s3", ":", "GetObject"]` without building `s3:GetObject`.
    ///
    /// The matcher is the classic greedy one: walk glob and string together,
    /// and on a mismatch go back to the most recent `*` and let it swallow one
    /// more character. Only the most recent `*` matters, because whatever an
    /// earlier `*` could swallow instead, the later one can swallow too.
    pub fn matches_parts(&self, parts: &[&str]) -> bool {
        let mut token = 0;
        let mut at = Cursor::START;
        // After the most recent `*`: the next token, and where in the string
        // it was tried last.
        let mut star: Option<(usize, Cursor)> = None;
        loop {
            if self.tokens.get(token) == Some(&Token::AnyRun) {
                token += 1;
                star = Some((token, at));
                continue;
            }
            let next = at.next(parts);
            let advanced = match (self.tokens.get(token), next) {
                (None, None) => return true,
                (Some(Token::AnyOne), Some((_, after))) => Some(after),
                (Some(Token::Char(want)), Some((c, after))) if fold(c) == *want => Some(after),
                _ => None,
            };
            if let Some(after) = advanced {
                token += 1;
                at = after;
                continue;
            }
            // Mismatch: let the last `*` swallow one more character.
            let Some((resume, tried)) = star else {
                return false;
            };
            let Some((_, after)) = tried.next(parts) else {
                return false;
            };
            star = Some((resume, after));
            token = resume;
            at = after;
        }
    }

    /// Is the glob a plain name, without `*` or `?`?
    ///
    /// A literal glob matches one action name (in any case), which is what
    /// lets [`contains`] answer with a single match instead of an automaton.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Char(_)))
    }

    /// The literal part of a glob whose only wildcard is a trailing `*`.
    ///
    /// `s3:Get*` gives `Some("s3:Get")` and `*` gives `Some("")`; `s3:Get`,
    /// `s3:*Object` and `s3:Get?*` give `None`. Such prefix globs are by far
    /// the most common, and containment between two of them is a
    /// `starts_with`. The result is the original text with its trailing `*`
    /// removed (all of them, when written `s3:Get**`).
    pub fn prefix_star(&self) -> Option<&str> {
        let (last, rest) = self.tokens.split_last()?;
        let literal_rest = rest.iter().all(|t| matches!(t, Token::Char(_)));
        (*last == Token::AnyRun && literal_rest).then(|| self.text.trim_end_matches('*'))
    }

    /// The service prefix, when the glob pins it down.
    ///
    /// That is the original text before the first `:`, provided the glob has
    /// a `:` and no wildcard before it: `S3:Get*` gives `Some("S3")`, while
    /// `*`, `s3*:Get` and `*:Get*` give `None` since they can match actions of
    /// several services. Callers use it to look at one service's catalog only.
    pub fn literal_service(&self) -> Option<&str> {
        self.service_end.map(|end| &self.text[..end])
    }

    /// The original text after the first `:`, when
    /// [`Glob::literal_service`] is `Some`: the part to match against the
    /// action names of that one service.
    pub fn name_part(&self) -> Option<&str> {
        self.service_end.map(|end| &self.text[end + 1..])
    }
}

impl fmt::Display for Glob {
    /// Writes the glob as written, so messages quote the user's own text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A position in a string given as consecutive parts, for
/// [`Glob::matches_parts`]. Always on a character boundary of its part.
#[derive(Debug, Clone, Copy)]
struct Cursor {
    part: usize,
    byte: usize,
}

impl Cursor {
    const START: Cursor = Cursor { part: 0, byte: 0 };

    /// The character at the cursor and the position after it, or `None` at
    /// the end of the last part. Empty parts are skipped.
    fn next(self, parts: &[&str]) -> Option<(char, Cursor)> {
        let mut here = self;
        loop {
            let part = parts.get(here.part)?;
            if let Some(c) = part.get(here.byte..).and_then(|rest| rest.chars().next()) {
                let byte = here.byte + c.len_utf8();
                return Some((c, Cursor { byte, ..here }));
            }
            here = Cursor {
                part: here.part + 1,
                byte: 0,
            };
        }
    }
}

/// How many automaton states one [`contains`] question may use.
///
/// Refinement asks many pairwise questions (is each candidate prefix inside
/// the entry, is one entry inside another), so a hostile policy with many
/// `?`-laden globs must not cost [`STATE_LIMIT`] states each. The globs people
/// write need a few dozen states.
pub const CONTAINS_LIMIT: usize = 2_000;

/// Is every string `inner` matches also matched by `outer`?
///
/// This is exact, as languages of strings over all characters, and not
/// relative to any catalog of known actions: a refinement that relied on
/// today's catalog would silently grant or deny actions AWS adds tomorrow.
///
/// The common cases are answered directly: equal globs contain each other;
/// a literal `inner` is contained when `outer` matches it; everything is
/// contained in `*`; `a*` is contained in `b*` when `b` is a prefix of `a`
/// (ignoring case); a glob with a wildcard matches infinitely many strings,
/// so it is never contained in a literal; and `inner` cannot be contained
/// when its literal start (or end) disagrees with `outer`'s, since its first
/// (last) wildcard can produce a character `outer` does not allow there.
/// Everything else goes through the automaton of [`uncovered`], with at most
/// [`CONTAINS_LIMIT`] states.
///
/// If the automaton needs more, the answer is `false`: "not known to be
/// contained" is the safe answer for callers that drop or trust whatever is
/// contained, since they then keep `inner` or look for something smaller.
pub fn contains(outer: &Glob, inner: &Glob) -> bool {
    if outer.tokens == inner.tokens {
        return true;
    }
    if inner.is_literal() {
        return outer.matches(&inner.text);
    }
    if outer.tokens == [Token::AnyRun] {
        return true;
    }
    if let (Some(inner_lit), Some(outer_lit)) = (inner.prefix_star(), outer.prefix_star()) {
        return starts_with_ignore_case(inner_lit, outer_lit);
    }
    if outer.is_literal() || !ends_agree(outer, inner) {
        return false;
    }
    matches!(
        language::uncovered_within(inner, std::slice::from_ref(outer), CONTAINS_LIMIT),
        Ok(None)
    )
}

/// A necessary condition for `inner` ⊆ `outer` when `inner` has a
/// wildcard: `inner`'s literal first characters must extend `outer`'s, and
/// likewise its literal last characters, compared folded.
fn ends_agree(outer: &Glob, inner: &Glob) -> bool {
    fn literal(tokens: impl Iterator<Item = Token>) -> Vec<char> {
        tokens
            .map_while(|t| match t {
                Token::Char(c) => Some(c),
                _ => None,
            })
            .collect()
    }
    let (inner_head, outer_head) = (
        literal(inner.tokens.iter().copied()),
        literal(outer.tokens.iter().copied()),
    );
    let (inner_tail, outer_tail) = (
        literal(inner.tokens.iter().rev().copied()),
        literal(outer.tokens.iter().rev().copied()),
    );
    inner_head.starts_with(&outer_head) && inner_tail.starts_with(&outer_tail)
}

/// Does `s` start with `prefix`, ignoring ASCII case?
///
/// Comparing bytes is sound for UTF-8: ASCII folding never changes a byte
/// outside ASCII, so equal bytes mean equal characters.
pub fn starts_with_ignore_case(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Whether glob `outer` matches every string the glob written `inner`
/// matches, without building a glob of `inner` when `outer` is
/// `svc:Prefix*` (the usual case): that is exactly whether `inner` starts
/// with `svc:Prefix`, ignoring case, since its first characters are then
/// that literal text, and otherwise it matches some string that does not
/// start with it. Case folds as matching does (ASCII only).
pub fn contains_text(outer: &Glob, inner: &str) -> bool {
    match outer.prefix_star() {
        Some(prefix) => starts_with_ignore_case(inner, prefix),
        None => contains(outer, &Glob::new(inner)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn glob(text: &str) -> Glob {
        Glob::new(text)
    }

    /// A matcher that is obviously right: dynamic programming over
    /// (tokens consumed, characters consumed).
    fn reference_matches(glob: &Glob, s: &str) -> bool {
        let chars: Vec<char> = s.chars().map(fold).collect();
        let mut can = vec![false; chars.len() + 1];
        can[0] = true;
        for token in glob.tokens() {
            let mut next = vec![false; chars.len() + 1];
            for j in 0..=chars.len() {
                next[j] = match token {
                    Token::AnyRun => can[j] || (j > 0 && next[j - 1]),
                    Token::AnyOne => j > 0 && can[j - 1],
                    Token::Char(x) => j > 0 && can[j - 1] && chars[j - 1] == *x,
                };
            }
            can = next;
        }
        can[chars.len()]
    }

    #[test]
    fn matching_ignores_ascii_case_both_ways() {
        assert!(glob("s3:GetObject").matches("S3:getobject"));
        assert!(glob("S3:getobject").matches("s3:GetObject"));
        assert!(glob("S3:GET*").matches("s3:getObjectAcl"));
        assert!(!glob("s3:GetObjectÄ").matches("s3:GetObjectä"));
    }

    #[test]
    fn stars_span_colons_and_may_be_empty() {
        assert!(glob("s3*").matches("s3-object-lambda:Get"));
        assert!(glob("s3*").matches("s3"));
        assert!(glob("*").matches(""));
        assert!(glob("*").matches("anything:at:all"));
        assert!(glob("*Tags").matches("autoscaling:CreateOrUpdateTags"));
        assert!(glob("s3:Get*").matches("s3:Get"));
        assert!(!glob("*Tags").matches("autoscaling:CreateOrUpdateTagsX"));
    }

    #[test]
    fn question_mark_is_exactly_one_character() {
        assert!(glob("ec2:Describe?nstances").matches("ec2:DescribeInstances"));
        assert!(!glob("ec2:Describe?nstances").matches("ec2:Describenstances"));
        assert!(!glob("ec2:Describe?nstances").matches("ec2:DescribeIInstances"));
        assert!(glob("?").matches("é"));
        assert!(!glob("?").matches(""));
    }

    #[test]
    fn several_stars() {
        let g = glob("s3:*Object*Tag*");
        assert!(g.matches("s3:GetObjectTagging"));
        assert!(g.matches("s3:ObjectTag"));
        assert!(g.matches("s3:PutObjectVersionTagging"));
        assert!(!g.matches("s3:GetBucketTagging"));
        assert!(glob("**a**").matches("a"));
        assert_eq!(glob("a**b").tokens().len(), 3);
        assert_eq!(glob("a**b").as_str(), "a**b");
    }

    #[test]
    fn no_partial_matches() {
        assert!(!glob("s3:Get").matches("s3:GetObject"));
        assert!(!glob("s3:GetObject").matches("s3:Get"));
        assert!(!glob("3:Get").matches("s3:Get"));
    }

    #[test]
    fn matches_parts_joins_the_parts() {
        let g = glob("s3:Get*");
        assert!(g.matches_parts(&["s3", ":", "GetObject"]));
        assert!(g.matches_parts(&["", "S3:", "", "get"]));
        assert!(!g.matches_parts(&["s3", ":", "Put"]));
        assert!(glob("").matches_parts(&[]));
        assert!(glob("*").matches_parts(&["", ""]));
    }

    #[test]
    fn shape_queries() {
        assert_eq!(glob("s3:Get*").prefix_star(), Some("s3:Get"));
        assert_eq!(glob("*").prefix_star(), Some(""));
        assert_eq!(glob("S3:Get**").prefix_star(), Some("S3:Get"));
        assert_eq!(glob("s3:GetObject").prefix_star(), None);
        assert_eq!(glob("s3:*Object").prefix_star(), None);
        assert_eq!(glob("s3:Get?*").prefix_star(), None);
        assert_eq!(glob("").prefix_star(), None);

        assert_eq!(glob("S3:Get*").literal_service(), Some("S3"));
        assert_eq!(glob("S3:Get*").name_part(), Some("Get*"));
        assert_eq!(glob("a:b:c").name_part(), Some("b:c"));
        for g in ["*", "s3*:Get", "*:Get*", "s?:Get", "s3"] {
            assert_eq!(glob(g).literal_service(), None, "{g}");
            assert_eq!(glob(g).name_part(), None, "{g}");
        }

        assert!(glob("s3:GetObject").is_literal());
        assert!(!glob("s3:Get?bject").is_literal());
        assert!(!glob("s3:Get*").is_literal());
        assert_eq!(glob("S3:Get*").to_string(), "S3:Get*");
    }

    #[test]
    fn containment_fast_paths() {
        assert!(contains(&glob("s3:Get*"), &glob("S3:GETOBJECT")));
        assert!(!contains(&glob("s3:Get*"), &glob("s3:PutObject")));
        assert!(contains(&glob("*"), &glob("s3:*Object?")));
        assert!(contains(&glob("**"), &glob("?")));
        assert!(contains(&glob("s3:Get*"), &glob("S3:GetObject*")));
        assert!(!contains(&glob("s3:GetObject*"), &glob("s3:Get*")));
        assert!(!contains(&glob("s3:GetObject"), &glob("s3:GetObjec?")));
    }

    #[test]
    fn containment_through_the_automaton() {
        assert!(contains(&glob("s3:Get*"), &glob("s3:Get*Tagging")));
        assert!(contains(&glob("a*?"), &glob("ab*")));
        assert!(!contains(&glob("ab*"), &glob("a*?")));
        assert!(!contains(&glob("?*"), &glob("*")));
        assert!(!contains(
            &glob("autoscaling:Describe*"),
            &glob("autoscaling:*Tags")
        ));
        assert!(contains(&glob("*Tags"), &glob("autoscaling:*Tags")));
    }

    fn small_glob(chars: &'static [char], max: usize) -> impl Strategy<Value = Glob> {
        proptest::collection::vec(proptest::sample::select(chars), 0..=max)
            .prop_map(|cs| Glob::new(&cs.into_iter().collect::<String>()))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn matcher_agrees_with_reference(
            g in small_glob(&['a', 'B', '*', '?', ':'], 7),
            s in "[abAB:é]{0,8}",
            cut in 0usize..=8,
        ) {
            prop_assert_eq!(g.matches(&s), reference_matches(&g, &s));
            let cut = s.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(s.len());
            let (head, tail) = s.split_at(cut);
            prop_assert_eq!(g.matches_parts(&[head, "", tail]), g.matches(&s));
        }

        #[test]
        fn contains_agrees_with_uncovered(
            inner in small_glob(&['a', 'b', 'A', ':', '*', '?'], 6),
            outer in small_glob(&['a', 'b', 'A', ':', '*', '?'], 6),
        ) {
            let exact = uncovered(&inner, std::slice::from_ref(&outer)) == Ok(None);
            prop_assert_eq!(contains(&outer, &inner), exact);
        }
    }
}
