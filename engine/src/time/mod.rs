//! UTC timestamps for effective dates: `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS`.
//!
//! Tariffs only need whole seconds in UTC and a total order, so a timestamp is plain Unix
//! seconds in an `i64`; the calendar arithmetic is the proleptic Gregorian day count.

mod calendar;
mod date_format;
#[cfg(test)]
mod tests;
mod zone;

pub use date_format::{DateFormat, DatePattern};
pub use zone::{OffsetMemo, Zone, ZoneError};

use calendar::{civil_from_days, days_from_civil, days_in_month};
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

    /// The current time, whole seconds, from the kernel's coarse clock: no hardware clock
    /// read (a few nanoseconds), at most one scheduler tick (1 to 4 ms) behind
    /// [`Timestamp::now`]. The server reads it once a request: a request answered in the
    /// first milliseconds of a second may be dated the second before (docs/server.md).
    #[cfg(target_os = "linux")]
    pub fn now_coarse() -> Timestamp {
        let mut spec = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `spec` is a valid, writable timespec for the call's duration.
        #[allow(unsafe_code)]
        let read = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut spec) };
        if read == 0 {
            Timestamp(spec.tv_sec)
        } else {
            Timestamp::now()
        }
    }

    /// [`Timestamp::now`] where the kernel has no coarse clock.
    #[cfg(not(target_os = "linux"))]
    pub fn now_coarse() -> Timestamp {
        Timestamp::now()
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
        // Fixed places: each field is read where it must be, digit by digit, in one pass
        // (this runs once a CDR in `tariff-rate`).
        if !(text.len() == 10 || text.len() == 19) || text[4] != b'-' || text[7] != b'-' {
            return Err(DateError);
        }
        let year = digits_at(text, 0, 4)?;
        let (month, day) = (digits_at(text, 5, 2)?, digits_at(text, 8, 2)?);
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(DateError);
        }
        let mut seconds = days_from_civil(year, month, day) * 86_400;
        if text.len() == 19 {
            if text[10] != b' ' || text[13] != b':' || text[16] != b':' {
                return Err(DateError);
            }
            let hour = digits_at(text, 11, 2)?;
            let (minute, second) = (digits_at(text, 14, 2)?, digits_at(text, 17, 2)?);
            if hour > 23 || minute > 59 || second > 59 {
                return Err(DateError);
            }
            seconds += hour * 3600 + minute * 60 + second;
        }
        Ok(Timestamp(seconds))
    }
}

/// The number the `len` ASCII digits at `text[at..]` write; an error when one is not a digit
/// (or `text` ends before them).
#[inline(always)]
fn digits_at(text: &[u8], at: usize, len: usize) -> Result<i64, DateError> {
    let field = text.get(at..at + len).ok_or(DateError)?;
    let mut value = 0i64;
    for &byte in field {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return Err(DateError);
        }
        value = value * 10 + i64::from(digit);
    }
    Ok(value)
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
        WallTime::parse_iso8601(text).map(WallTime::as_utc)
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

/// A date and time as written, before any zone is applied: the clock's reading as seconds
/// (counted as if it were UTC), and the offset the text itself gave, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WallTime {
    /// The written date and time, as seconds since 1970-01-01 00:00:00 on that clock.
    pub seconds: i64,
    /// Seconds east of UTC written with the time (`Z` is 0); `None` when the text has no zone.
    pub offset: Option<i64>,
}

impl WallTime {
    /// The instant, a time without a zone taken as UTC.
    pub fn as_utc(self) -> Timestamp {
        Timestamp(self.seconds - self.offset.unwrap_or(0))
    }

    /// The instant, a time without a zone read on `zone` ([`Zone::to_utc`]).
    pub fn on(self, zone: &Zone, memo: &mut OffsetMemo) -> Result<Timestamp, ZoneError> {
        match self.offset {
            Some(offset) => Ok(Timestamp(self.seconds - offset)),
            None => zone.to_utc(self.seconds, memo),
        }
    }

    /// [`Timestamp::parse_iso8601`]'s forms, the zone kept apart.
    pub fn parse_iso8601(text: &[u8]) -> Result<WallTime, DateError> {
        if text.len() == 10 || (text.len() == 19 && text[10] == b' ') {
            return Timestamp::parse_bytes(text).map(|local| WallTime {
                seconds: local.0,
                offset: None,
            });
        }
        if text.len() < 19 || !matches!(text[10], b'T' | b't' | b' ') {
            return Err(DateError);
        }
        let mut head = [0u8; 19];
        head.copy_from_slice(&text[..19]);
        head[10] = b' ';
        let local = Timestamp::parse_bytes(&head)?;
        let mut rest = &text[19..];
        if let [b'.' | b',', fraction @ ..] = rest {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            // A rate must not start early: a fraction of a second is refused, not rounded.
            if digits == 0 || fraction[..digits].iter().any(|&d| d != b'0') {
                return Err(DateError);
            }
            rest = &fraction[digits..];
        }
        Ok(WallTime {
            seconds: local.0,
            offset: parse_written_zone(rest).ok_or(DateError)?,
        })
    }
}

/// A zone designator: empty or `Z` (UTC), or `+HH:MM`, `+HHMM`, `+HH` (or `-`), as the
/// seconds to subtract from the local time to get UTC.
pub(super) fn parse_zone(text: &[u8]) -> Option<i64> {
    parse_written_zone(text).map(|offset| offset.unwrap_or(0))
}

/// [`parse_zone`], telling no zone at all (`Some(None)`) from `Z`.
fn parse_written_zone(text: &[u8]) -> Option<Option<i64>> {
    let (sign, digits) = match text {
        [] => return Some(None),
        [b'Z' | b'z'] => return Some(Some(0)),
        [b'+', rest @ ..] => (1, rest),
        [b'-', rest @ ..] => (-1, rest),
        _ => return None,
    };
    let two = |at: usize| digits_at(digits, at, 2).ok();
    let (hours, minutes) = match digits.len() {
        2 => (two(0)?, 0),
        4 => (two(0)?, two(2)?),
        5 if digits[2] == b':' => (two(0)?, two(3)?),
        _ => return None,
    };
    if hours > 23 || minutes > 59 {
        return None;
    }
    Some(Some(sign * (hours * 3600 + minutes * 60)))
}
