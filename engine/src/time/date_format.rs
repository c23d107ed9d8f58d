//! How effective dates are written in vendors' decks: ISO 8601, or a pattern such as
//! `%d.%m.%Y` (`--date-format`), parsed into UTC times.

use std::fmt;

use super::calendar::{days_from_civil, days_in_month};
use super::{parse_zone, Timestamp, WallTime};

/// How effective dates are written in a deck: [`DateFormat::Iso`], or a pattern of
/// `strftime`-style specifiers given to `tariff-compile --date-format`.
///
/// A pattern must match the whole field. Specifiers: `%Y` (4-digit year), `%m` (month,
/// 1 or 2 digits), `%d` (day, 1 or 2 digits), `%b` (English month name, abbreviated or
/// full, any case; also `%B`), `%H` `%M` `%S` (hour, minute, second, 1 or 2 digits), `%z`
/// (`Z` or an offset `+HH:MM`, `+HHMM`, `+HH`), `%T` (`%H:%M:%S`), `%F` (`%Y-%m-%d`), `%%`
/// (a `%`). Anything else matches itself. A pattern needs a year, a month and a day; time
/// fields left out are zero, and without `%z` the time is UTC (or, in `tariff-rate`, the
/// `--timezone`). Two-digit years (`%y`) are
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
        self.parse_wall(text).map(WallTime::as_utc)
    }

    /// The date and time `text` gives in this format, its zone (if it writes one) kept apart,
    /// or `None` when it does not match.
    pub fn parse_wall(&self, text: &[u8]) -> Option<WallTime> {
        match self {
            DateFormat::Iso => WallTime::parse_iso8601(text).ok(),
            DateFormat::Pattern(pattern) => pattern.parse_wall(text),
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
        self.parse_wall(text).map(WallTime::as_utc)
    }

    /// [`DatePattern::parse`], the zone (`%z`) kept apart.
    pub fn parse_wall(&self, text: &[u8]) -> Option<WallTime> {
        let (mut year, mut month, mut day) = (0i64, 0i64, 0i64);
        let (mut hour, mut minute, mut second, mut offset) = (0i64, 0i64, 0i64, None);
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
                    offset = Some(parse_zone(&text[at..at + zone])?);
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
        Some(WallTime {
            seconds: days_from_civil(year, month, day) * 86_400
                + hour * 3600
                + minute * 60
                + second,
            offset,
        })
    }
}
