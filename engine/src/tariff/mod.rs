//! Reading one tariff CSV (docs/formats.md) into validated rows, written as vendors write decks.
//!
//! The reader works on records and hands each valid row to a callback with borrowed fields,
//! so a deck of millions of rows is read without a per-row allocation; the caller (the
//! artifact builder) interns what it keeps. Every invalid field is reported with its file,
//! line and column, and reading goes on so that one run lists all the problems.
//!
//! A [`DeckFormat`] says how a deck is written: the header names carriers use besides the
//! §2.1 names (`Dial Code`, `Price`, `Effective Date`, ...), columns named by the operator,
//! the delimiter, the encoding, decimal commas and the date format. A header cell that is not
//! used but looks like a date, a price, a billing term, a currency or a row status is an
//! error rather than a warning: ignoring an `Effective Date` column would put every future
//! rate in force at once.
//!
//! One concern a file: this one reads rows, `format` says how a deck is written (header
//! names, the options) and `values` reads prices and names bad dates.

mod format;
mod values;

pub use format::DeckFormat;
pub use values::MAX_AMOUNT_DIGITS;

use crate::input::{read_csv_with, ColumnSpec, CsvInput, ErrorList, Row, TextEncoding};
use crate::money::Decimal;
use crate::time::Timestamp;
use values::{parse_amount, parse_intervals, NotADate};

/// Longest prefix a tariff may hold, in digits.
pub const MAX_PREFIX_DIGITS: usize = 20;
/// Longest destination name, in bytes.
pub const MAX_DESTINATION_BYTES: usize = 128;

/// One valid tariff row, borrowing from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct TariffRow<'a> {
    /// Physical line where the record starts.
    pub line: u64,
    /// 1–20 ASCII digits.
    pub prefix: &'a [u8],
    pub rate: Decimal,
    pub connection_fee: Decimal,
    /// Billing step in seconds; with a first interval, the `NEXT` of `FIRST/NEXT`.
    pub increment_s: u32,
    pub min_time_s: u32,
    /// The `FIRST` of `FIRST/NEXT`: seconds billed for any call up to them; 0: none.
    pub first_interval_s: u32,
    pub destination: &'a str,
    /// `None`: the row applies whenever no dated row does.
    pub effective_from: Option<Timestamp>,
}

/// What reading one file found besides its rows.
#[derive(Debug, Clone, Default)]
pub struct ReadSummary {
    /// Valid rows handed to the callback.
    pub rows: u64,
    /// 1-based column number of `prefix`, for errors found later (duplicates).
    pub prefix_column: u64,
    /// Unknown columns and other non-fatal remarks, already `file:line:column:` prefixed.
    pub warnings: Vec<String>,
}

const PREFIX: usize = 0;
const RATE: usize = 1;
const DESTINATION: usize = 2;
const CONNECTION_FEE: usize = 3;
const INCREMENT: usize = 4;
const MIN_TIME: usize = 5;
const EFFECTIVE_FROM: usize = 6;
const FIRST_INTERVAL: usize = 7;

const COLUMNS: [ColumnSpec; 8] = [
    ColumnSpec {
        name: "prefix",
        required: true,
    },
    ColumnSpec {
        name: "rate",
        required: true,
    },
    ColumnSpec {
        name: "destination",
        required: false,
    },
    ColumnSpec {
        name: "connection_fee",
        required: false,
    },
    ColumnSpec {
        name: "increment_s",
        required: false,
    },
    ColumnSpec {
        name: "min_time_s",
        required: false,
    },
    ColumnSpec {
        name: "effective_from",
        required: false,
    },
    ColumnSpec {
        name: "first_interval_s",
        required: false,
    },
];

/// Whether `name` is a valid tariff name: 1–64 of `A-Za-z0-9_-`.
pub fn is_valid_tariff_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads a §2.1 tariff CSV (in the default [`DeckFormat`]): see [`read_tariff_with`].
pub fn read_tariff<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
    on_row: impl FnMut(&TariffRow<'_>),
    on_progress: impl FnMut(u64),
) -> ReadSummary {
    read_tariff_with(
        input,
        file,
        &DeckFormat::default(),
        errors,
        on_row,
        on_progress,
    )
}

/// Reads a tariff deck written in `format` from `input`, calling `on_row` for each valid row
/// and recording every problem in `errors` as `file:line:column: message`. `on_progress`
/// receives the bytes read so far every few thousand rows.
pub fn read_tariff_with<R: std::io::Read + Send>(
    input: R,
    file: &str,
    format: &DeckFormat,
    errors: &mut ErrorList,
    mut on_row: impl FnMut(&TariffRow<'_>),
    on_progress: impl FnMut(u64),
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut rows = 0u64;
    let mut invalid_text = false;
    let source = CsvInput {
        file,
        format: format.csv,
        specs: &COLUMNS,
        names: format,
    };
    let columns = read_csv_with(
        input,
        &source,
        errors,
        &mut summary.warnings,
        |row| {
            if let Some(tariff_row) = parse_row(row, format, &mut invalid_text) {
                rows += 1;
                on_row(&tariff_row);
            }
        },
        on_progress,
    );
    if invalid_text && format.csv.encoding == TextEncoding::Utf8 {
        summary.warnings.push(format!(
            "{file}: some text is not valid UTF-8; if the deck is saved in another encoding \
             (Windows-1252 is common), name it with --encoding"
        ));
    }
    summary.rows = rows;
    summary.prefix_column = columns.map_or(1, |c| c.position(PREFIX).map_or(1, |i| i as u64 + 1));
    summary
}

/// Validates one record's fields; `None` (with errors recorded) when any is invalid.
/// `invalid_text` is set when the destination is not UTF-8.
fn parse_row<'r>(
    row: &mut Row<'r, '_>,
    format: &DeckFormat,
    invalid_text: &mut bool,
) -> Option<TariffRow<'r>> {
    let (prefix, column) = row.raw(PREFIX);
    if prefix.is_empty()
        || prefix.len() > MAX_PREFIX_DIGITS
        || !prefix.iter().all(u8::is_ascii_digit)
    {
        let message = format!(
            "prefix \"{}\" must be 1-20 digits",
            String::from_utf8_lossy(prefix)
        );
        row.fail(column, message);
    }
    let comma = format.decimal_comma;
    let rate = row.parse_with(RATE, None, |text| parse_amount(text, comma));
    let connection_fee = row.parse_with(CONNECTION_FEE, Some(Decimal::ZERO), |text| {
        parse_amount(text, comma)
    });
    let (first_interval_s, increment_s) = billing_intervals(row);
    let min_time_s = row.whole(MIN_TIME, Some(0), 0, u64::from(u32::MAX));
    let destination = row.text(DESTINATION, MAX_DESTINATION_BYTES);
    if destination.is_none() && std::str::from_utf8(row.raw(DESTINATION).0).is_err() {
        *invalid_text = true;
    }
    let effective_from = row.parse_with(EFFECTIVE_FROM, Some(None), |text| {
        format
            .dates
            .parse(text)
            .map(Some)
            .ok_or(NotADate(&format.dates))
    });
    if !row.ok() {
        return None;
    }
    Some(TariffRow {
        line: row.line(),
        prefix,
        rate: rate?,
        connection_fee: connection_fee?,
        increment_s: increment_s?,
        min_time_s: u32::try_from(min_time_s?).ok()?,
        first_interval_s: first_interval_s?,
        destination: destination?,
        effective_from: effective_from?,
    })
}

/// The first interval (0: none) and the increment of a row: the increment column holds a
/// whole number or `FIRST/NEXT`; the first interval column, when there is one, holds FIRST
/// (the increment column then being NEXT), and must agree with a `FIRST/NEXT` beside it.
fn billing_intervals(row: &mut Row<'_, '_>) -> (Option<u32>, Option<u32>) {
    let max = u64::from(u32::MAX);
    let (text, _) = row.raw(INCREMENT);
    let (paired, increment_s) = if text.contains(&b'/') {
        match row.parse_with(INCREMENT, None, parse_intervals) {
            Some((first, next)) => (Some(first), Some(next)),
            None => (None, None),
        }
    } else {
        let increment = row.whole(INCREMENT, Some(1), 1, max);
        (None, increment.and_then(|i| u32::try_from(i).ok()))
    };
    let (first_text, first_column) = row.raw(FIRST_INTERVAL);
    if first_text.is_empty() {
        return (Some(paired.unwrap_or(0)), increment_s);
    }
    let Some(first) = row
        .whole(FIRST_INTERVAL, None, 1, max)
        .and_then(|f| u32::try_from(f).ok())
    else {
        return (None, increment_s);
    };
    match paired {
        Some(paired) if paired != first => {
            let message = format!(
                "first_interval_s \"{first}\" disagrees with increment_s \"{}\", whose first \
                 interval is {paired}: give the first interval in one column, or the same in both",
                String::from_utf8_lossy(text)
            );
            row.fail(first_column, message);
            (None, increment_s)
        }
        _ => (Some(first), increment_s),
    }
}

#[cfg(test)]
mod tests;
