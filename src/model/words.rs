//! Splitting action names into words.
//!
//! The refined policy replaces a wildcard with *word prefixes*: `s3:GetObject*`
//! rather than `s3:GetOb*`. A word prefix is readable, matches AWS's own
//! recommendations, and is the natural unit in which AWS names related
//! actions (`GetObject`, `GetObjectAcl`, `GetObjectTagging`).
//!
//! Words are found by the regular expression
//!
//! ```text
//! [A-Z]+[0-9]*(?![a-z]) | [A-Z]?[a-z]+[0-9]* | [0-9]+ | [^A-Za-z0-9]
//! ```
//!
//! applied left to right, first alternative first, with the backtracking a
//! regex engine would do. So `GetBucketCORS` is `Get|Bucket|CORS`,
//! `ListMFADevices` is `List|MFA|Devices`, `AssociateIpv6CidrBlock` is
//! `Associate|Ipv6|Cidr|Block` and `ListS3Buckets` is `List|S3|Buckets`. Every
//! character belongs to exactly one word, so the words of a name always
//! concatenate back to the name. The crate has no regex dependency; the four
//! alternatives are simple enough to match by hand, and doing so keeps the
//! splitter allocation-free.

/// Returns the byte offsets at which each word of `name` ends, in order.
///
/// The last offset is always `name.len()` (for a non-empty name), so the
/// word prefixes of `name` are `&name[..end]` for each returned `end`.
/// Callers that only need prefixes use this rather than [`split`], which
/// would allocate a vector of slices.
pub fn word_ends(name: &str) -> Vec<usize> {
    word_ends_lazily(name).collect()
}

/// [`word_ends`], one at a time: the cover usually stops at the first
/// prefix it tries, and need not split the rest of the name.
pub fn word_ends_lazily(name: &str) -> impl Iterator<Item = usize> + '_ {
    let bytes = name.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= bytes.len() {
            return None;
        }
        i += word_len(&bytes[i..]);
        Some(i)
    })
}

/// Splits `name` into its words (see the module documentation).
pub fn split(name: &str) -> Vec<&str> {
    let mut start = 0;
    word_ends(name)
        .into_iter()
        .map(|end| {
            let word = &name[start..end];
            start = end;
            word
        })
        .collect()
}

/// The length in bytes of the word that starts at `s[0]`; at least 1.
///
/// Non-ASCII bytes fall through to the last alternative, which takes one
/// whole UTF-8 character so that offsets stay on character boundaries.
fn word_len(s: &[u8]) -> usize {
    let run = |from: usize, pred: fn(&u8) -> bool| s[from..].iter().take_while(|b| pred(b)).count();
    let lower_at = |i: usize| s.get(i).is_some_and(u8::is_ascii_lowercase);

    // Alternative 1: [A-Z]+[0-9]*(?![a-z]), with backtracking.
    let upper = run(0, u8::is_ascii_uppercase);
    if upper > 0 {
        let digits = run(upper, u8::is_ascii_digit);
        if !lower_at(upper + digits) {
            return upper + digits;
        }
        // Giving back one digit leaves a digit next, which is not [a-z].
        if digits > 0 {
            return upper + digits - 1;
        }
        // Giving back one capital leaves a capital next, which is not [a-z].
        if upper > 1 {
            return upper - 1;
        }
    }
    // Alternative 2: [A-Z]?[a-z]+[0-9]*.
    let cap = usize::from(s[0].is_ascii_uppercase());
    let lower = run(cap, u8::is_ascii_lowercase);
    if lower > 0 {
        return cap + lower + run(cap + lower, u8::is_ascii_digit);
    }
    // Alternative 3: [0-9]+.
    let digits = run(0, u8::is_ascii_digit);
    if digits > 0 {
        return digits;
    }
    // Alternative 4: any one other character (a whole UTF-8 sequence).
    utf8_len(s[0])
}

/// The length of the UTF-8 sequence that starts with `lead`.
fn utf8_len(lead: u8) -> usize {
    match lead {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected splits, cross-checked against Python's `re.findall` with the
    /// regular expression from the module documentation.
    #[test]
    fn splits_like_the_documented_regex() {
        let cases: &[(&str, &[&str])] = &[
            (
                "GetAccessPointPolicy",
                &["Get", "Access", "Point", "Policy"],
            ),
            ("GetBucketCORS", &["Get", "Bucket", "CORS"]),
            ("ListMFADevices", &["List", "MFA", "Devices"]),
            (
                "AssociateIpv6CidrBlock",
                &["Associate", "Ipv6", "Cidr", "Block"],
            ),
            ("ListS3Buckets", &["List", "S3", "Buckets"]),
            ("Get-Thing", &["Get", "-", "Thing"]),
            ("ABC1a", &["ABC", "1", "a"]),
            ("AB12Cd", &["AB12", "Cd"]),
            ("X509Certificate", &["X509", "Certificate"]),
            ("getobject", &["getobject"]),
            ("S3", &["S3"]),
            ("a", &["a"]),
            ("123abc", &["123", "abc"]),
            ("EC2Instance", &["EC2", "Instance"]),
            ("DescribeDBClusters", &["Describe", "DB", "Clusters"]),
            ("Aé", &["A", "é"]),
        ];
        for (name, want) in cases {
            assert_eq!(split(name), *want, "splitting {name}");
        }
    }

    #[test]
    fn word_ends_end_at_the_name_length() {
        assert_eq!(word_ends("GetObjectAcl"), vec![3, 9, 12]);
        assert!(word_ends("").is_empty());
    }
}
