//! Field values of a deck beyond what every input shares: prices with a decimal point or a
//! decimal comma, and the messages for dates that do not match the deck's date format.

use std::fmt;

use crate::money::{Decimal, DecimalError};
use crate::time::DateFormat;

/// Significant digits, and places, a deck's rate or fee may have: the artifact keeps them as
/// 64-bit units (balances, which sums make longer, hold 38).
pub const MAX_AMOUNT_DIGITS: u32 = 18;

/// Why a price was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AmountError {
    Decimal(DecimalError),
    /// A decimal comma in a deck read with `.` decimals.
    CommaWithoutOption,
    /// Malformed in a deck read with decimal commas.
    NotCommaDecimal,
    /// A `.` in a deck read with decimal commas.
    PointWithComma,
    /// More digits than the artifact keeps of a rate or a fee.
    TooPrecise,
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AmountError::Decimal(error) => error.fmt(f),
            AmountError::CommaWithoutOption => f.write_str(
                "is not a decimal number (expected digits with an optional '.' fraction, like \
                 0.05; a deck with decimal commas needs --decimal-comma)",
            ),
            AmountError::NotCommaDecimal => f.write_str(
                "is not a decimal number (expected digits with an optional ',' fraction, like \
                 0,05, as --decimal-comma says)",
            ),
            AmountError::TooPrecise => write!(
                f,
                "has more than {MAX_AMOUNT_DIGITS} significant digits (or places)"
            ),
            AmountError::PointWithComma => f.write_str(
                "has a '.', but the deck is read with --decimal-comma (expected digits with an \
                 optional ',' fraction, like 0,05)",
            ),
        }
    }
}

/// A price ≥ 0: digits with an optional fraction after `.`, or after `,` when
/// `decimal_comma` (then `.` is refused: in such decks it is a thousands separator or a
/// mistake, never a fraction).
pub(super) fn parse_amount(text: &[u8], decimal_comma: bool) -> Result<Decimal, AmountError> {
    let amount = parse_any_amount(text, decimal_comma)?;
    if amount.digits() > MAX_AMOUNT_DIGITS || u32::from(amount.scale()) > MAX_AMOUNT_DIGITS {
        return Err(AmountError::TooPrecise);
    }
    Ok(amount)
}

/// [`parse_amount`] before the artifact's limit.
fn parse_any_amount(text: &[u8], decimal_comma: bool) -> Result<Decimal, AmountError> {
    if !decimal_comma {
        return Decimal::parse_bytes(text, false).map_err(|error| match error {
            DecimalError::Malformed if text.contains(&b',') => AmountError::CommaWithoutOption,
            other => AmountError::Decimal(other),
        });
    }
    if text.contains(&b'.') {
        return Err(AmountError::PointWithComma);
    }
    // A longer text cannot be a decimal Ratel holds (at most 38 digits), so it is copied
    // only up to this size.
    let mut buffer = [0u8; 96];
    if text.len() > buffer.len() {
        return Err(AmountError::TooPrecise);
    }
    let swapped = &mut buffer[..text.len()];
    for (to, &from) in swapped.iter_mut().zip(text) {
        *to = if from == b',' { b'.' } else { from };
    }
    Decimal::parse_bytes(swapped, false).map_err(|error| match error {
        DecimalError::Malformed => AmountError::NotCommaDecimal,
        other => AmountError::Decimal(other),
    })
}

/// A `FIRST/NEXT` pair of billing intervals that is not two whole numbers of at least 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct NotIntervals;

impl fmt::Display for NotIntervals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "is not a billing interval pair: expected FIRST/NEXT in seconds, like 60/60 or \
             30/6 (whole numbers from 1 to {})",
            u32::MAX
        )
    }
}

/// `FIRST/NEXT` (like `30/6`, spaces around either number allowed): the first interval and
/// the next ones, each a whole number of seconds from 1 to `u32::MAX`.
pub(super) fn parse_intervals(text: &[u8]) -> Result<(u32, u32), NotIntervals> {
    let seconds = |part: &[u8]| -> Result<u32, NotIntervals> {
        let part = part.trim_ascii();
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(NotIntervals);
        }
        std::str::from_utf8(part)
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
            .filter(|&s| s >= 1)
            .ok_or(NotIntervals)
    };
    let slash = text.iter().position(|&b| b == b'/').ok_or(NotIntervals)?;
    let (first, next) = (&text[..slash], &text[slash + 1..]);
    Ok((seconds(first)?, seconds(next)?))
}

/// A date that does not match the deck's date format.
#[derive(Debug, Clone, Copy)]
pub(super) struct NotADate<'a>(pub(super) &'a DateFormat);

impl fmt::Display for NotADate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            DateFormat::Iso => f.write_str(
                "is not a date: expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 like \
                 2026-12-01T00:00:00Z (UTC); another form needs --date-format",
            ),
            DateFormat::Pattern(pattern) => {
                write!(f, "is not a date in --date-format {}", pattern.as_str())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// A price written with a decimal comma reads as the same price written with a point,
        /// error for error.
        #[test]
        fn decimal_comma_parsing_equals_point_parsing_of_the_same_digits(
            int in "[0-9]{0,22}",
            fraction in proptest::option::of("[0-9]{0,22}"),
        ) {
            let (point, comma) = match &fraction {
                Some(f) => (format!("{int}.{f}"), format!("{int},{f}")),
                None => (int.clone(), int.clone()),
            };
            let by_point = parse_amount(point.as_bytes(), false);
            let by_comma = parse_amount(comma.as_bytes(), true);
            match (by_point, by_comma) {
                (Ok(a), Ok(b)) => proptest::prop_assert_eq!(a, b),
                (Err(AmountError::Decimal(DecimalError::Malformed)), Err(AmountError::NotCommaDecimal)) => {}
                (Err(a), Err(b)) => proptest::prop_assert_eq!(a, b),
                (a, b) => proptest::prop_assert!(false, "{point}: {a:?}, {comma}: {b:?}"),
            }
        }
    }
}
