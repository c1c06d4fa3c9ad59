//! Glob matching and exact containment on arbitrary short globs:
//! `Glob::new`, `Glob::matches`, `pattern::contains`, `pattern::uncovered`
//! and `pattern::witness` must never panic, and must agree with each other
//! and with an obviously right matcher.
//!
//! Input: a mode byte, then up to six strings separated by `\n`: the inner
//! glob, a probe string, and up to four outer globs. Each string is cut to
//! 40 characters, so one run stays fast even when the subset construction
//! blows up. With an odd mode byte, every byte is first mapped onto the
//! small alphabet `a b A B : * ? é c`, where containment questions are
//! dense; with an even one the bytes are read as UTF-8 (lossily).
//!
//! Checks:
//! * `matches` (greedy, with backtracking to the last `*`) agrees with a
//!   dynamic-programming matcher, and `matches_parts` with `matches`;
//! * `uncovered(inner, outer)` = `Some(w)`: inner matches `w`, no outer
//!   does; = `None`: every string inner matches (the probe, the witnesses
//!   found) some outer matches;
//! * `contains(o, i)`: then `uncovered(i, [o])` is `None` or `TooComplex`,
//!   and `o` matches whatever `i` matches;
//! * `witness(all, none)` = `Some(w)`: every `all` matches `w`, no `none`
//!   does; = `None`: no probe is such a string;
//! * the shape queries: a literal glob matches its own text, a prefix glob
//!   its prefix, and the text is kept as written.
#![no_main]

use iam_refine::model::pattern::{self, Glob, Token};
use libfuzzer_sys::fuzz_target;

const MAX_CHARS: usize = 40;
const ALPHABET: [char; 9] = ['a', 'b', 'A', 'B', ':', '*', '?', 'é', 'c'];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let strings: Vec<String> = rest
        .split(|&b| b == b'\n')
        .take(6)
        .map(|part| {
            let text: String = if mode & 1 == 1 {
                part.iter()
                    .map(|&b| ALPHABET[b as usize % ALPHABET.len()])
                    .collect()
            } else {
                String::from_utf8_lossy(part).into_owned()
            };
            text.chars().take(MAX_CHARS).collect()
        })
        .collect();
    check(&strings);
});

fn check(strings: &[String]) {
    let Some(inner_text) = strings.first() else {
        return;
    };
    let probe = strings.get(1).cloned().unwrap_or_default();
    let inner = Glob::new(inner_text);
    let outer: Vec<Glob> = strings.iter().skip(2).map(|s| Glob::new(s)).collect();

    // Probes: the probe string, the globs' own texts, and every witness
    // found below.
    let mut probes: Vec<String> = vec![probe];
    probes.extend(strings.iter().cloned());
    for glob in std::iter::once(&inner).chain(&outer) {
        shape(glob);
    }

    // uncovered(inner, outer)
    let verdict = pattern::uncovered(&inner, &outer);
    if let Ok(Some(w)) = &verdict {
        assert!(
            inner.matches(w),
            "uncovered: {inner} does not match its witness {w:?}"
        );
        for o in &outer {
            assert!(
                !o.matches(w),
                "uncovered: outer {o} matches the witness {w:?} of {inner}"
            );
        }
        probes.push(w.clone());
    }

    // contains(o, inner) for each outer, and the other way round.
    for o in &outer {
        for (big, small) in [(o, &inner), (&inner, o)] {
            if !pattern::contains(big, small) {
                continue;
            }
            match pattern::uncovered(small, std::slice::from_ref(big)) {
                Ok(None) | Err(_) => {}
                Ok(Some(w)) => panic!("contains({big}, {small}) but {w:?} is in {small} only"),
            }
        }
    }

    // witness(all = [inner, first outer], none = the other outers)
    if let Some((first, rest)) = outer.split_first() {
        let all = [&inner, first];
        match pattern::witness(&all, rest) {
            Ok(Some(w)) => {
                for g in all {
                    assert!(g.matches(&w), "witness: {g} does not match {w:?}");
                }
                for g in rest {
                    assert!(!g.matches(&w), "witness: {g} matches {w:?}");
                }
                probes.push(w);
            }
            Ok(None) => {
                for p in &probes {
                    let fits =
                        all.iter().all(|g| g.matches(p)) && !rest.iter().any(|g| g.matches(p));
                    assert!(!fits, "witness({all:?}, {rest:?}) = None but {p:?} fits");
                }
            }
            Err(_) => {}
        }
    }

    // Every probe: the matchers agree, and the verdicts hold for it.
    for p in &probes {
        for g in std::iter::once(&inner).chain(&outer) {
            let fast = g.matches(p);
            assert_eq!(fast, reference_matches(g, p), "matches({g}, {p:?})");
            let cut = p
                .char_indices()
                .map(|(i, _)| i)
                .nth(p.chars().count() / 2)
                .unwrap_or(0);
            let (head, tail) = p.split_at(cut);
            assert_eq!(
                g.matches_parts(&[head, "", tail]),
                fast,
                "matches_parts({g}, {p:?})"
            );
        }
        if verdict == Ok(None) && inner.matches(p) {
            assert!(
                outer.iter().any(|o| o.matches(p)),
                "uncovered({inner}, {outer:?}) = None but no outer matches {p:?}"
            );
        }
        for o in &outer {
            for (big, small) in [(o, &inner), (&inner, o)] {
                if small.matches(p) && pattern::contains(big, small) {
                    assert!(
                        big.matches(p),
                        "contains({big}, {small}) but {big} misses {p:?}"
                    );
                }
            }
        }
    }
}

fn shape(glob: &Glob) {
    let text = glob.as_str();
    assert_eq!(Glob::new(text), *glob);
    assert_eq!(glob.to_string(), text);
    if glob.is_literal() {
        assert!(glob.matches(text), "literal {text:?} does not match itself");
        assert!(pattern::contains(glob, glob));
    }
    if let Some(prefix) = glob.prefix_star() {
        assert!(
            glob.matches(prefix),
            "{text:?} does not match its prefix {prefix:?}"
        );
    }
    if let Some(service) = glob.literal_service() {
        let name = glob.name_part().expect("a literal service has a name part");
        assert_eq!(format!("{service}:{name}"), text);
    }
}

/// A matcher that is obviously right: dynamic programming over (tokens
/// consumed, characters consumed), comparing ASCII-folded characters.
fn reference_matches(glob: &Glob, s: &str) -> bool {
    let chars: Vec<char> = s.chars().map(|c| c.to_ascii_lowercase()).collect();
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
