//! Timestamps and durations, for last-accessed windows.
//!
//! AWS writes timestamps as ISO 8601 (`2026-01-02T03:04:05Z`, sometimes with
//! fractional seconds or an offset such as `+00:00`). Only what windows need
//! is here: a timestamp or a date to seconds since the Unix epoch (UTC), and
//! a duration like `90d`. No time zones beyond fixed offsets, no leap
//! seconds: a window of days does not need them.

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil (proleptic Gregorian) date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The number in `text[range]`, if it is all digits.
fn number(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit())).then(|| part.parse().ok())?
}

/// A date `YYYY-MM-DD`, as the seconds at its start (00:00 UTC).
pub fn parse_date(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if text.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let (year, month, day) = (
        number(text, 0..4)?,
        number(text, 5..7)?,
        number(text, 8..10)?,
    );
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days_in_month)
        .contains(&day)
        .then(|| days_from_civil(year, month, day) * DAY)
}

/// An ISO 8601 timestamp (`2026-01-02T03:04:05Z`, `…05.123Z`,
/// `…05+02:00`), or a bare date, as seconds since the epoch (UTC).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let date = parse_date(text.get(..10)?)?;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(date);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let bytes = rest.as_bytes();
    if bytes.len() < 8 || bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let (hour, minute, second) = (
        number(rest, 0..2)?,
        number(rest, 3..5)?,
        number(rest, 6..8)?,
    );
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut zone = &rest[8..];
    if let Some(fraction) = zone.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        zone = &fraction[digits..];
    }
    let offset = match zone {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match zone.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let zone = zone[1..].replace(':', "");
            if zone.len() != 4 {
                return None;
            }
            let (hours, minutes) = (number(&zone, 0..2)?, number(&zone, 2..4)?);
            // Real offsets run from -12:00 to +14:00.
            if hours > 14 || minutes > 59 {
                return None;
            }
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Some(date + hour * 3600 + minute * 60 + second - offset)
}

/// The UTC date (`YYYY-MM-DD`) of `secs` since the epoch.
pub fn format_date(secs: i64) -> String {
    let days = secs.div_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// A duration like `90d`, `12w` or `36h`, in seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let unit = match text.bytes().last()? {
        b'd' => DAY,
        b'w' => 7 * DAY,
        b'h' => 3600,
        _ => return None,
    };
    let count = number(text, 0..text.len() - 1)?;
    count.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_format_back() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2024-02-29",
            "2026-09-26",
            "2026-12-31",
        ] {
            assert_eq!(format_date(parse_date(text).unwrap()), text);
        }
        assert_eq!(
            format_date(parse_timestamp("2026-09-26T23:00:00-05:00").unwrap()),
            "2026-09-27"
        );
    }

    #[test]
    fn dates_and_timestamps() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017 * DAY));
        assert_eq!(parse_date("2024-02-29"), Some(19_782 * DAY));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2026-13-01"), None);
        assert_eq!(parse_date("2026-1-01"), None);
        let midnight = parse_date("2026-11-26").unwrap();
        assert_eq!(parse_timestamp("2026-11-26T00:00:00Z"), Some(midnight));
        assert_eq!(
            parse_timestamp("2026-11-26T01:02:03.456Z"),
            Some(midnight + 3723)
        );
        assert_eq!(parse_timestamp("2026-11-26T02:00:00+02:00"), Some(midnight));
        assert_eq!(parse_timestamp("2026-11-25T22:00:00-02:00"), Some(midnight));
        assert_eq!(parse_timestamp("2026-11-26"), Some(midnight));
        assert_eq!(parse_timestamp("2026-11-26T25:00:00Z"), None);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2026-11-26T00:00:00+99:99"), None);
        assert_eq!(parse_timestamp("2026-11-26T00:00:00+14:60"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90d"), Some(90 * DAY));
        assert_eq!(parse_duration("2w"), Some(14 * DAY));
        assert_eq!(parse_duration("36h"), Some(36 * 3600));
        assert_eq!(parse_duration("90"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration("-3d"), None);
    }
}
