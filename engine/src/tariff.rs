//! Reading one tariff CSV (SPEC §2.1) into validated rows.
//!
//! The reader works on byte records and hands each valid row to a callback with borrowed
//! fields, so a deck of millions of rows is read without a per-row allocation; the caller
//! (the artifact builder) interns what it keeps. Every invalid field is reported with its
//! file, line and column, and reading goes on so that one run lists all the problems.

use crate::input::{read_csv, ColumnSpec, ErrorList, Row};
use crate::money::Decimal;
use crate::time::Timestamp;

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
    pub increment_s: u32,
    pub min_time_s: u32,
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

const COLUMNS: [ColumnSpec; 7] = [
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
];

/// Whether `name` is a valid tariff name: 1–64 of `A-Za-z0-9_-`.
pub fn is_valid_tariff_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Reads a tariff CSV from `input`, calling `on_row` for each valid row and recording every
/// problem in `errors` as `file:line:column: message`. `on_progress` receives the bytes read
/// so far every few thousand rows.
pub fn read_tariff<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
    mut on_row: impl FnMut(&TariffRow<'_>),
    on_progress: impl FnMut(u64),
) -> ReadSummary {
    let mut summary = ReadSummary::default();
    let mut rows = 0u64;
    let columns = read_csv(
        input,
        file,
        &COLUMNS,
        errors,
        &mut summary.warnings,
        |row| {
            if let Some(tariff_row) = parse_row(row) {
                rows += 1;
                on_row(&tariff_row);
            }
        },
        on_progress,
    );
    summary.rows = rows;
    summary.prefix_column = columns.map_or(1, |c| c.position(PREFIX).map_or(1, |i| i as u64 + 1));
    summary
}

/// Validates one record's fields; `None` (with errors recorded) when any is invalid.
fn parse_row<'r>(row: &mut Row<'r, '_>) -> Option<TariffRow<'r>> {
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
    let rate = row.decimal(RATE, false, None);
    let connection_fee = row.decimal(CONNECTION_FEE, false, Some(Decimal::ZERO));
    let increment_s = row.whole(INCREMENT, Some(1), 1, u64::from(u32::MAX));
    let min_time_s = row.whole(MIN_TIME, Some(0), 0, u64::from(u32::MAX));
    let destination = row.text(DESTINATION, MAX_DESTINATION_BYTES);
    let effective_from = row.date(EFFECTIVE_FROM);
    if !row.ok() {
        return None;
    }
    Some(TariffRow {
        line: row.line(),
        prefix,
        rate: rate?,
        connection_fee: connection_fee?,
        increment_s: u32::try_from(increment_s?).ok()?,
        min_time_s: u32::try_from(min_time_s?).ok()?,
        destination: destination?,
        effective_from: effective_from?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` as `t.csv`; returns (prefix, rate, destination, line) of valid rows and the errors.
    fn read(text: &[u8]) -> (Vec<(String, String, String, u64)>, ErrorList) {
        let mut errors = ErrorList::new();
        let mut rows = Vec::new();
        read_tariff(
            text,
            "t.csv",
            &mut errors,
            |row| {
                rows.push((
                    String::from_utf8(row.prefix.to_vec()).unwrap(),
                    row.rate.to_string(),
                    row.destination.to_owned(),
                    row.line,
                ))
            },
            |_| {},
        );
        (rows, errors)
    }

    fn messages(errors: &ErrorList) -> Vec<String> {
        errors.kept().iter().map(ToString::to_string).collect()
    }

    #[test]
    fn reads_rows_with_columns_in_any_order_and_defaults() {
        let (rows, errors) =
            read(b"Destination,RATE,prefix\n\"Lithuania, Vilnius\",0.987,3705\nUSA,0.01,1\n");
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(
            rows,
            vec![
                (
                    "3705".into(),
                    "0.987".into(),
                    "Lithuania, Vilnius".into(),
                    2
                ),
                ("1".into(), "0.01".into(), "USA".into(), 3)
            ]
        );
    }

    #[test]
    fn every_bad_field_is_reported_with_line_and_column() {
        let csv = "prefix,rate,destination,connection_fee,increment_s,min_time_s,effective_from\n\
                   37x,0.1,A,0,1,0,\n\
                   370,-1,A,0,1,0,\n\
                   371,1e5,A,abc,0,x,2023-02-30\n\
                   372,0.1,A,0,1,0,2023-01-01 10:00\n";
        let (rows, errors) = read(csv.as_bytes());
        assert!(rows.is_empty());
        assert_eq!(
            messages(&errors),
            vec![
                "t.csv:2:1: prefix \"37x\" must be 1-20 digits",
                "t.csv:3:2: rate \"-1\" must not be negative",
                "t.csv:4:2: rate \"1e5\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05)",
                "t.csv:4:4: connection_fee \"abc\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05)",
                "t.csv:4:5: increment_s \"0\" must be a whole number of at least 1",
                "t.csv:4:6: min_time_s \"x\" must be a whole number of at least 0",
                "t.csv:4:7: effective_from \"2023-02-30\" is not a date: expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)",
                "t.csv:5:7: effective_from \"2023-01-01 10:00\" is not a date: expected YYYY-MM-DD or YYYY-MM-DD HH:MM:SS (UTC)",
            ]
        );
    }

    #[test]
    fn empty_required_field_and_long_prefix_are_errors() {
        let (_, errors) = read(b"prefix,rate\n370,\n,1\n123456789012345678901,1\n");
        assert_eq!(
            messages(&errors),
            vec![
                "t.csv:2:2: rate \"\" is empty",
                "t.csv:3:1: prefix \"\" must be 1-20 digits",
                "t.csv:4:1: prefix \"123456789012345678901\" must be 1-20 digits",
            ]
        );
    }

    #[test]
    fn invalid_utf8_and_long_destination_name_their_column() {
        let mut csv = b"prefix,destination,rate\n370,Lith\xffuania,1\n".to_vec();
        csv.extend_from_slice(format!("371,{},1\n", "x".repeat(129)).as_bytes());
        let (_, errors) = read(&csv);
        assert_eq!(
            messages(&errors),
            vec![
                "t.csv:2:2: destination is not valid UTF-8 (invalid byte at offset 4)",
                "t.csv:3:2: destination is 129 bytes long; at most 128 are allowed",
            ]
        );
    }

    #[test]
    fn missing_header_column_stops_the_file() {
        let (rows, errors) = read(b"prefix,price\n370,1\n");
        assert!(rows.is_empty());
        assert_eq!(
            messages(&errors),
            vec!["t.csv:1:1: missing required column \"rate\" in the header"]
        );
        let (_, errors) = read(b"");
        assert!(errors.to_string().starts_with("t.csv:1:1: file is empty"));
    }

    #[test]
    fn quoted_multiline_record_reports_its_first_line_and_ragged_rows_are_errors() {
        let (rows, errors) =
            read(b"prefix,destination,rate\n370,\"two\nlines\",1\n371,x\n372,y,1\n");
        assert_eq!(rows.iter().map(|r| r.3).collect::<Vec<_>>(), vec![2, 5]);
        assert_eq!(
            messages(&errors),
            vec!["t.csv:4:1: row has 2 fields but the header has 3"]
        );
    }

    proptest::proptest! {
        /// Whatever bytes arrive, the reader answers with rows or located errors.
        #[test]
        fn arbitrary_bytes_never_panic_the_reader(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..400),
            with_header: bool,
        ) {
            let mut input = if with_header { b"prefix,rate,destination,effective_from\n".to_vec() } else { Vec::new() };
            input.extend_from_slice(&body);
            let mut errors = ErrorList::new();
            let mut rows = 0;
            read_tariff(&input[..], "t.csv", &mut errors, |_| rows += 1, |_| {});
            for error in errors.kept() {
                proptest::prop_assert!(error.line >= 1 && error.column >= 1);
            }
        }
    }

    #[test]
    fn tariff_names_follow_the_spec() {
        assert!(is_valid_tariff_name("retail_EU-2"));
        assert!(!is_valid_tariff_name(""));
        assert!(!is_valid_tariff_name("has space"));
        assert!(!is_valid_tariff_name(&"a".repeat(65)));
    }
}
