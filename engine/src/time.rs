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

    proptest::proptest! {
        #[test]
        fn civil_round_trips(days in -1_000_000i64..1_000_000) {
            let (y, m, d) = civil_from_days(days);
            proptest::prop_assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
