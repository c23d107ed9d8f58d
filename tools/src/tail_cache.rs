//! The part of an output row that depends only on the rate record, formatted once a record.
//! A deck holds a few thousand distinct records for a million prefixes, so formatting the
//! destination and the rates anew on every row would be most of a mass tool's work.

use ratel_engine::artifact::{Artifact, RateRecord};
use ratel_engine::money::{write_exact, write_ruby_float};

use crate::csv_field::write_field;

/// How a tool writes rates and fees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateStyle {
    /// As MOR prints them (`0.987`, `35.0`, `1.0e-05`): `tariff-lookup`.
    Mor,
    /// Exactly as the deck wrote them, without trailing zeros (`0.0120` is `0.012`).
    Exact,
}

/// Writes a record's columns, each after a `delimiter` (a comma but in `tariff-rate`, which
/// writes the input's): `,destination,rate,connection_fee,increment_s,min_time_s`.
pub fn write_record_columns(
    out: &mut Vec<u8>,
    rate: &RateRecord<'_>,
    style: RateStyle,
    delimiter: u8,
) {
    let mut number = itoa::Buffer::new();
    out.push(delimiter);
    write_field(out, rate.destination, delimiter);
    out.push(delimiter);
    match style {
        RateStyle::Mor => {
            write_ruby_float(out, rate.rate_f64());
            out.push(delimiter);
            write_ruby_float(out, rate.connection_fee_f64());
        }
        RateStyle::Exact => {
            write_exact(out, rate.rate);
            out.push(delimiter);
            write_exact(out, rate.connection_fee);
        }
    }
    out.push(delimiter);
    out.extend_from_slice(number.format(rate.increment_s).as_bytes());
    out.push(delimiter);
    out.extend_from_slice(number.format(rate.min_time_s).as_bytes());
}

/// The header name of the column the CSV tools add at the end of every row when the artifact
/// holds any first interval (`Artifact::has_first_intervals`).
pub const FIRST_INTERVAL_COLUMN: &str = "first_interval_s";

/// Writes a record's first interval after a `delimiter`: its seconds, or nothing when it has
/// none (`increment_s` is then every step).
pub fn write_first_interval(out: &mut Vec<u8>, rate: &RateRecord<'_>, delimiter: u8) {
    out.push(delimiter);
    if rate.first_interval_s != 0 {
        out.extend_from_slice(itoa::Buffer::new().format(rate.first_interval_s).as_bytes());
    }
}

/// Each rate record's row tail, formatted by the tool's function the first time a worker
/// meets the record.
#[derive(Debug, Default)]
pub struct TailCache {
    /// Per record: (start, end) in `text`, or (0, 0) when not formatted yet.
    spans: Vec<(u32, u32)>,
    text: Vec<u8>,
}

impl TailCache {
    /// Record `record`'s tail, written by `format` the first time (`None` past the records).
    /// One cache serves one format.
    #[inline]
    pub fn tail(
        &mut self,
        artifact: &Artifact,
        record: u32,
        format: impl FnOnce(&RateRecord<'_>, &mut Vec<u8>),
    ) -> Option<&[u8]> {
        let index = record as usize;
        if index >= self.spans.len() {
            self.spans
                .resize(artifact.record_count().max(index + 1), (0, 0));
        }
        if self.spans[index] == (0, 0) {
            let rate = artifact.record(record)?;
            let start = self.text.len();
            format(&rate, &mut self.text);
            self.spans[index] = (start as u32, self.text.len() as u32);
        }
        let (start, end) = self.spans[index];
        self.text.get(start as usize..end as usize)
    }
}
