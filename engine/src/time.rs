//! UTC timestamps for effective dates: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`.
//!
//! Tariffs only need whole seconds in UTC and a total order, so a timestamp is plain Unix
//! seconds in an `i64`; the calendar arithmetic is the proleptic Gregorian day count.

use std::fmt;

/// Seconds since 1970-01-01 00:00:00 UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// Why a date field was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a date: expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)")]
pub struct DateError;

impl Timestamp {
    /// The current time, whole seconds.
    pub fn now() -> Timestamp {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Timestamp(i64::try_from(seconds).unwrap_or(i64::MAX))
    }

    /// Parses `YYYY-MM-DD` (midnight) or `YYYY-MM-DD HH:MM:SS`, validating the calendar.
    ///
    /// ```
    /// use ratel_engine::time::Timestamp;
    /// assert_eq!(Timestamp::parse("1970-01-02").unwrap().0, 86_400);
    /// assert!(Timestamp::parse("2023-02-29").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Timestamp, DateError> {
        Self::parse_bytes(text.as_bytes())
    }

    /// [`Timestamp::parse`] over raw bytes.
    pub fn parse_bytes(text: &[u8]) -> Result<Timestamp, DateError> {
        let number = |range: std::ops::Range<usize>| -> Result<i64, DateError> {
            let field = text.get(range).ok_or(DateError)?;
            if !field.iter().all(u8::is_ascii_digit) {
                return Err(DateError);
            }
            Ok(field
                .iter()
                .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0')))
        };
        let separators_ok = |positions: &[(usize, u8)]| {
            positions
                .iter()
                .all(|&(index, byte)| text.get(index) == Some(&byte))
        };
        if !(text.len() == 10 || text.len() == 19) || !separators_ok(&[(4, b'-'), (7, b'-')]) {
            return Err(DateError);
        }
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(DateError);
        }
        let mut seconds = days_from_civil(year, month, day) * 86_400;
        if text.len() == 19 {
            if !separators_ok(&[(10, b' '), (13, b':'), (16, b':')]) {
                return Err(DateError);
            }
            let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
            if hour > 23 || minute > 59 || second > 59 {
                return Err(DateError);
            }
            seconds += hour * 3600 + minute * 60 + second;
        }
        Ok(Timestamp(seconds))
    }
}

impl Timestamp {
    /// Parses the forms of [`Timestamp::parse`] and ISO 8601 date-times:
    /// `YYYY-MM-DDTHH:MM:SS` (or with a space), optionally with a fraction of zeros
    /// (`.000`) and a zone: `Z`, or an offset `+HH:MM`, `+HHMM`, `+HH` (or `-`), which is
    /// applied to give UTC. Without a zone the time is UTC.
    ///
    /// ```
    /// use ratel_engine::time::Timestamp;
    /// let utc = Timestamp::parse("2026-12-01 00:00:00").unwrap();
    /// assert_eq!(Timestamp::parse_iso8601(b"2026-12-01T00:00:00Z"), Ok(utc));
    /// assert_eq!(Timestamp::parse_iso8601(b"2026-12-01T02:00:00+02:00"), Ok(utc));
    /// ```
    pub fn parse_iso8601(text: &[u8]) -> Result<Timestamp, DateError> {
        if text.len() == 10 || (text.len() == 19 && text[10] == b' ') {
            return Self::parse_bytes(text);
        }
        if text.len() < 19 || !matches!(text[10], b'T' | b't' | b' ') {
            return Err(DateError);
        }
        let mut head = [0u8; 19];
        head.copy_from_slice(&text[..19]);
        head[10] = b' ';
        let local = Self::parse_bytes(&head)?;
        let mut rest = &text[19..];
        if let [b'.' | b',', fraction @ ..] = rest {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            // A rate must not start early: a fraction of a second is refused, not rounded.
            if digits == 0 || fraction[..digits].iter().any(|&d| d != b'0') {
                return Err(DateError);
            }
            rest = &fraction[digits..];
        }
        let offset = parse_zone(rest).ok_or(DateError)?;
        Ok(Timestamp(local.0 - offset))
    }

    /// The HTTP `Date` form: `Sun, 06 Nov 1994 08:49:37 GMT` (always 29 bytes).
    pub fn http_date(self) -> [u8; 29] {
        const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let days = self.0.div_euclid(86_400);
        let seconds = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        let mut out = *b"Thu, 01 Jan 1970 00:00:00 GMT";
        out[..3].copy_from_slice(DAYS[days.rem_euclid(7) as usize]);
        let two = |out: &mut [u8; 29], at: usize, value: i64| {
            out[at] = b'0' + (value / 10 % 10) as u8;
            out[at + 1] = b'0' + (value % 10) as u8;
        };
        two(&mut out, 5, day);
        out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
        two(&mut out, 12, year / 100);
        two(&mut out, 14, year % 100);
        two(&mut out, 17, seconds / 3600);
        two(&mut out, 20, seconds / 60 % 60);
        two(&mut out, 23, seconds % 60);
        out
    }
}

impl fmt::Display for Timestamp {
    /// `YYYY-MM-DD HH:MM:SS`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0.div_euclid(86_400);
        let seconds = self.0.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A zone designator: empty or `Z` (UTC), or `+HH:MM`, `+HHMM`, `+HH` (or `-`), as the
/// seconds to subtract from the local time to get UTC.
fn parse_zone(text: &[u8]) -> Option<i64> {
    let (sign, digits) = match text {
        [] | [b'Z' | b'z'] => return Some(0),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let two = |pair: &[u8]| -> Option<i64> {
        match pair {
            [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
                Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            }
            _ => None,
        }
    };
    let (hours, minutes) = match digits.len() {
        2 => (two(digits)?, 0),
        4 => (two(&digits[..2])?, two(&digits[2..])?),
        5 if digits[2] == b':' => (two(&digits[..2])?, two(&digits[3..])?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(sign * (hours * 3600 + minutes * 60))
}

/// How effective dates are written in a deck: [`DateFormat::Iso`], or a pattern of
/// `strftime`-style specifiers given to `tariff-compile --date-format`.
///
/// A pattern must match the whole field. Specifiers: `%Y` (4-digit year), `%m` (month,
/// 1 or 2 digits), `%d` (day, 1 or 2 digits), `%b` (English month name, abbreviated or
/// full, any case; also `%B`), `%H` `%M` `%S` (hour, minute, second, 1 or 2 digits), `%z`
/// (`Z` or an offset `+HH:MM`, `+HHMM`, `+HH`), `%T` (`%H:%M:%S`), `%F` (`%Y-%m-%d`), `%%`
/// (a `%`). Anything else matches itself. A pattern needs a year, a month and a day; time
/// fields left out are zero, and without `%z` the time is UTC. Two-digit years (`%y`) are
/// refused: they leave the century to a guess.
///
/// ```
/// use ratel_engine::time::{DateFormat, Timestamp};
/// let format: DateFormat = "%d.%m.%Y".parse().unwrap();
/// assert_eq!(format.parse(b"01.12.2026"), Timestamp::parse("2026-12-01").ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DateFormat {
    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS`, or ISO 8601 (see [`Timestamp::parse_iso8601`]).
    #[default]
    Iso,
    Pattern(DatePattern),
}

/// A parsed `--date-format` pattern (see [`DateFormat`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatePattern {
    text: String,
    items: Vec<DateItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DateItem {
    Year,
    Month,
    MonthName,
    Day,
    Hour,
    Minute,
    Second,
    Zone,
    Literal(u8),
}

const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

impl std::str::FromStr for DateFormat {
    type Err = String;

    /// `iso` (the default forms) or a pattern such as `%d.%m.%Y`.
    fn from_str(text: &str) -> Result<DateFormat, String> {
        if text.eq_ignore_ascii_case("iso") || text.eq_ignore_ascii_case("iso8601") {
            return Ok(DateFormat::Iso);
        }
        DatePattern::new(text).map(DateFormat::Pattern)
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DateFormat::Iso => f.write_str("iso"),
            DateFormat::Pattern(pattern) => f.write_str(&pattern.text),
        }
    }
}

impl DateFormat {
    /// The timestamp `text` gives in this format, or `None` when it does not match.
    pub fn parse(&self, text: &[u8]) -> Option<Timestamp> {
        match self {
            DateFormat::Iso => Timestamp::parse_iso8601(text).ok(),
            DateFormat::Pattern(pattern) => pattern.parse(text),
        }
    }
}

impl DatePattern {
    /// Compiles `text`; the error says what is wrong with it.
    pub fn new(text: &str) -> Result<DatePattern, String> {
        let mut items = Vec::new();
        let mut bytes = text.bytes();
        while let Some(byte) = bytes.next() {
            if byte != b'%' {
                items.push(DateItem::Literal(byte));
                continue;
            }
            match bytes.next() {
                Some(b'Y') => items.push(DateItem::Year),
                Some(b'm') => items.push(DateItem::Month),
                Some(b'b' | b'B' | b'h') => items.push(DateItem::MonthName),
                Some(b'd' | b'e') => items.push(DateItem::Day),
                Some(b'H') => items.push(DateItem::Hour),
                Some(b'M') => items.push(DateItem::Minute),
                Some(b'S') => items.push(DateItem::Second),
                Some(b'z') => items.push(DateItem::Zone),
                Some(b'T') => items.extend([
                    DateItem::Hour,
                    DateItem::Literal(b':'),
                    DateItem::Minute,
                    DateItem::Literal(b':'),
                    DateItem::Second,
                ]),
                Some(b'F') => items.extend([
                    DateItem::Year,
                    DateItem::Literal(b'-'),
                    DateItem::Month,
                    DateItem::Literal(b'-'),
                    DateItem::Day,
                ]),
                Some(b'%') => items.push(DateItem::Literal(b'%')),
                Some(b'y') => {
                    return Err(format!(
                        "date format \"{text}\": %y (two-digit year) is not supported; use %Y"
                    ))
                }
                Some(other) => {
                    return Err(format!(
                        "date format \"{text}\": unknown specifier %{}; supported: \
                         %Y %m %d %b %H %M %S %z %T %F %%",
                        char::from(other)
                    ))
                }
                None => return Err(format!("date format \"{text}\" ends with a lone %")),
            }
        }
        let count = |wanted: &[DateItem]| items.iter().filter(|i| wanted.contains(i)).count();
        if !text.contains('%') {
            return Err(format!(
                "date format \"{text}\" has no specifier: write day-month-year as %d.%m.%Y, \
                 month/day/year as %m/%d/%Y"
            ));
        }
        for (what, kinds) in [
            ("a year (%Y)", &[DateItem::Year][..]),
            (
                "a month (%m or %b)",
                &[DateItem::Month, DateItem::MonthName],
            ),
            ("a day (%d)", &[DateItem::Day]),
        ] {
            match count(kinds) {
                1 => {}
                0 => return Err(format!("date format \"{text}\" needs {what}")),
                _ => return Err(format!("date format \"{text}\" has {what} more than once")),
            }
        }
        for (what, kind) in [
            ("an hour", DateItem::Hour),
            ("a minute", DateItem::Minute),
            ("a second", DateItem::Second),
            ("a zone", DateItem::Zone),
        ] {
            if count(&[kind]) > 1 {
                return Err(format!("date format \"{text}\" has {what} more than once"));
            }
        }
        let has = |kind| count(&[kind]) == 1;
        if (has(DateItem::Minute) && !has(DateItem::Hour))
            || (has(DateItem::Second) && !has(DateItem::Minute))
        {
            return Err(format!(
                "date format \"{text}\": minutes need an hour (%H), seconds need minutes (%M)"
            ));
        }
        Ok(DatePattern {
            text: text.to_owned(),
            items,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The UTC timestamp of `text`, or `None` when it does not match or names no real time.
    pub fn parse(&self, text: &[u8]) -> Option<Timestamp> {
        let (mut year, mut month, mut day) = (0i64, 0i64, 0i64);
        let (mut hour, mut minute, mut second, mut offset) = (0i64, 0i64, 0i64, 0i64);
        let mut at = 0;
        // Up to `max` digits (at least `min`), greedily.
        let number = |at: &mut usize, min: usize, max: usize| -> Option<i64> {
            let digits = text[*at..]
                .iter()
                .take(max)
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits < min {
                return None;
            }
            let value = text[*at..*at + digits]
                .iter()
                .fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
            *at += digits;
            Some(value)
        };
        let numeric = |item: Option<&DateItem>| {
            matches!(
                item,
                Some(
                    DateItem::Year
                        | DateItem::Month
                        | DateItem::Day
                        | DateItem::Hour
                        | DateItem::Minute
                        | DateItem::Second
                )
            )
        };
        for (position, item) in self.items.iter().enumerate() {
            // A number with another number right beside it (`%Y%m%d`) has no separator to
            // end it: it must be written in full, or `2026111` could be read either way.
            let joined = numeric(self.items.get(position + 1))
                || position
                    .checked_sub(1)
                    .is_some_and(|before| numeric(self.items.get(before)));
            let least = if joined { 2 } else { 1 };
            match item {
                DateItem::Year => year = number(&mut at, 4, 4)?,
                DateItem::Month => month = number(&mut at, least, 2)?,
                DateItem::Day => day = number(&mut at, least, 2)?,
                DateItem::Hour => hour = number(&mut at, least, 2)?,
                DateItem::Minute => minute = number(&mut at, least, 2)?,
                DateItem::Second => second = number(&mut at, least, 2)?,
                DateItem::MonthName => {
                    let letters = text[at..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphabetic())
                        .count();
                    let word = std::str::from_utf8(&text[at..at + letters])
                        .ok()?
                        .to_ascii_lowercase();
                    let index = MONTH_NAMES.iter().position(|name| {
                        *name == word || (word.len() == 3 && name.starts_with(&word))
                    })?;
                    month = index as i64 + 1;
                    at += letters;
                }
                DateItem::Zone => {
                    let zone = text[at..]
                        .iter()
                        .take_while(|b| {
                            matches!(b, b'Z' | b'z' | b'+' | b'-' | b':') || b.is_ascii_digit()
                        })
                        .count();
                    if zone == 0 {
                        return None;
                    }
                    offset = parse_zone(&text[at..at + zone])?;
                    at += zone;
                }
                DateItem::Literal(byte) => {
                    if text.get(at) != Some(byte) {
                        return None;
                    }
                    at += 1;
                }
            }
        }
        if at != text.len()
            || !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return None;
        }
        let local = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
        Some(Timestamp(local - offset))
    }
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era-based day count).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms_in_utc() {
        assert_eq!(Timestamp::parse("1970-01-01").unwrap().0, 0);
        assert_eq!(
            Timestamp::parse("2024-02-29 12:34:56").unwrap().0,
            1_709_210_096
        );
        assert_eq!(Timestamp::parse("2000-03-01").unwrap().0, 951_868_800);
    }

    #[test]
    fn refuses_impossible_and_misshapen_dates() {
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "2023-1-01",
            "2023/01/01",
            "2023-01-01T00:00:00",
            "2023-01-01 24:00:00",
            "2023-01-01 12:60:00",
            "2023-01-01 12:00",
            "",
            "yesterday",
        ] {
            assert!(Timestamp::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn http_dates_follow_rfc_9110() {
        let date = |text: &str| {
            String::from_utf8(Timestamp::parse(text).unwrap().http_date().to_vec()).unwrap()
        };
        assert_eq!(date("1994-11-06 08:49:37"), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(date("1970-01-01"), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date("2026-11-23 16:10:05"), "Mon, 23 Nov 2026 16:10:05 GMT");
    }

    #[test]
    fn display_inverts_parse() {
        for text in [
            "1970-01-01 00:00:00",
            "2024-02-29 23:59:59",
            "1899-12-31 01:02:03",
        ] {
            assert_eq!(Timestamp::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn iso8601_accepts_t_z_offsets_and_zero_fractions_in_utc() {
        let utc = |text: &str| Timestamp::parse(text).unwrap();
        let iso = |text: &str| Timestamp::parse_iso8601(text.as_bytes());
        assert_eq!(iso("2026-12-01T00:00:00Z"), Ok(utc("2026-12-01")));
        assert_eq!(iso("2026-12-01t00:00:00z"), Ok(utc("2026-12-01")));
        assert_eq!(iso("2026-12-01T00:00:00"), Ok(utc("2026-12-01")));
        assert_eq!(iso("2026-12-01 10:20:30"), Ok(utc("2026-12-01 10:20:30")));
        assert_eq!(iso("2026-12-01"), Ok(utc("2026-12-01")));
        assert_eq!(iso("2026-12-01T00:00:00.000Z"), Ok(utc("2026-12-01")));
        assert_eq!(
            iso("2026-12-01T02:30:00+02:30"),
            Ok(utc("2026-12-01 00:00:00"))
        );
        assert_eq!(
            iso("2026-12-01T00:00:00-0500"),
            Ok(utc("2026-12-01 05:00:00"))
        );
        assert_eq!(iso("2026-12-01T01:00:00+01"), Ok(utc("2026-12-01")));
        for bad in [
            "2026-12-01T00:00:00.5Z",
            "2026-12-01T00:00:00+24:00",
            "2026-12-01T00:00:00Q",
            "2026-12-01T00:00",
            "2026-12-01X00:00:00",
            "2026-02-30T00:00:00Z",
            "2026-12-01T00:00:00+1",
        ] {
            assert!(iso(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn date_patterns_read_vendor_dates() {
        let at = |pattern: &str, text: &str| {
            let format: DateFormat = pattern.parse().unwrap();
            format.parse(text.as_bytes()).map(|t| t.to_string())
        };
        let midnight = Some("2026-12-01 00:00:00".to_owned());
        assert_eq!(at("%d.%m.%Y", "01.12.2026"), midnight);
        assert_eq!(at("%d.%m.%Y", "1.12.2026"), midnight);
        assert_eq!(at("%m/%d/%Y", "12/01/2026"), midnight);
        assert_eq!(at("%d-%b-%Y", "01-Dec-2026"), midnight);
        assert_eq!(at("%d %B %Y", "1 DECEMBER 2026"), midnight);
        assert_eq!(at("%Y%m%d", "20261201"), midnight);
        assert_eq!(at("%Y-%m-%dT%H:%M:%SZ", "2026-12-01T00:00:00Z"), midnight);
        assert_eq!(at("%FT%T%z", "2026-12-01T01:00:00+01:00"), midnight);
        assert_eq!(
            at("%d.%m.%Y %H:%M", "01.12.2026 13:45"),
            Some("2026-12-01 13:45:00".to_owned())
        );
        assert_eq!(at("iso", "2026-12-01T00:00:00Z"), midnight);
        for (pattern, bad) in [
            ("%d.%m.%Y", "2026-12-01"),
            ("%d.%m.%Y", "31.11.2026"),
            ("%d.%m.%Y", "01.12.2026 00:00"),
            ("%m/%d/%Y", "13/01/2026"),
            ("%d.%m.%Y", "01.12.26"),
            ("%d-%b-%Y", "01-Dez-2026"),
            ("%d.%m.%Y %H:%M", "01.12.2026 24:00"),
        ] {
            assert_eq!(at(pattern, bad), None, "{pattern} accepted {bad:?}");
        }
    }

    #[test]
    fn numbers_written_together_must_be_written_in_full() {
        let compact = DatePattern::new("%Y%m%d").unwrap();
        assert_eq!(
            compact.parse(b"20261101").map(|t| t.to_string()),
            Some("2026-11-01 00:00:00".to_owned())
        );
        // Seven digits: 2026-11-01 or 2026-01-11? Refused, never guessed.
        assert_eq!(compact.parse(b"2026111"), None);
        assert_eq!(compact.parse(b"202611"), None);
        let joined_time = DatePattern::new("%d.%m.%Y %H%M").unwrap();
        assert!(joined_time.parse(b"1.2.2026 0930").is_some());
        assert_eq!(joined_time.parse(b"1.2.2026 930"), None);
    }

    #[test]
    fn date_patterns_that_cannot_work_are_refused_with_a_reason() {
        for (pattern, reason) in [
            ("dd.mm.yyyy", "has no specifier"),
            ("%d.%m.%y", "%y (two-digit year)"),
            ("%d.%m", "needs a year"),
            ("%d.%Y", "needs a month"),
            ("%m.%Y", "needs a day"),
            ("%d.%m.%Y %q", "unknown specifier %q"),
            ("%d.%m.%Y %M", "minutes need an hour"),
            ("%d.%d.%m.%Y", "more than once"),
            ("%d.%m.%Y%", "lone %"),
        ] {
            let error = pattern.parse::<DateFormat>().unwrap_err();
            assert!(error.contains(reason), "{pattern}: {error}");
        }
    }

    proptest::proptest! {
        /// Any real instant written day-first reads back as the same instant.
        #[test]
        fn patterns_read_what_display_wrote(seconds in -2_000_000_000i64..5_000_000_000) {
            let written = Timestamp(seconds).to_string();
            let (date, time) = written.split_once(' ').unwrap();
            let (y, rest) = date.split_once('-').unwrap();
            let (m, d) = rest.split_once('-').unwrap();
            if y.len() == 4 {
                let vendor = format!("{d}.{m}.{y} {time}");
                let format: DateFormat = "%d.%m.%Y %T".parse().unwrap();
                proptest::prop_assert_eq!(format.parse(vendor.as_bytes()), Some(Timestamp(seconds)));
                let iso = format!("{date}T{time}Z");
                proptest::prop_assert_eq!(Timestamp::parse_iso8601(iso.as_bytes()), Ok(Timestamp(seconds)));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn civil_round_trips(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
