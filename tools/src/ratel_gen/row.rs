//! A generated tariff row, and a deck written as the tariff CSV every Ratel reader takes.

use std::io::{self, Write};

/// One generated tariff row.
#[derive(Debug, Clone)]
pub struct GenRow {
    pub prefix: String,
    pub destination: String,
    /// The rate is `rate_units / 10^rate_scale`.
    pub rate_units: u64,
    /// 4 in [`deck`](super::deck::deck), 6 in [`npanxx_deck`](super::npanxx_deck::npanxx_deck).
    pub rate_scale: u8,
    /// Connection fee in units of 0.0001.
    pub connection_fee_units: u64,
    pub increment_s: u32,
    pub min_time_s: u32,
    pub effective_from: Option<String>,
}

pub(super) fn units_text(units: u64) -> String {
    format!("{}.{:04}", units / 10_000, units % 10_000)
}

impl GenRow {
    /// The rate as the deck writes it: at least four decimals, at most `rate_scale`, no
    /// trailing zeros past the fourth (`0.0120`, `0.01234`, `0.012345`).
    pub fn rate_text(&self) -> String {
        let scale = u32::from(self.rate_scale);
        let divisor = 10u64.pow(scale);
        let mut text = format!(
            "{}.{:0width$}",
            self.rate_units / divisor,
            self.rate_units % divisor,
            width = scale as usize
        );
        let keep = text.len() - scale.saturating_sub(4) as usize;
        while text.len() > keep && text.ends_with('0') {
            text.pop();
        }
        text
    }
}

/// Writes a deck as a tariff CSV.
pub fn write_deck(rows: &[GenRow], out: impl Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "prefix",
        "destination",
        "rate",
        "connection_fee",
        "increment_s",
        "min_time_s",
        "effective_from",
    ])?;
    for row in rows {
        writer.write_record([
            row.prefix.as_str(),
            row.destination.as_str(),
            &row.rate_text(),
            &units_text(row.connection_fee_units),
            &row.increment_s.to_string(),
            &row.min_time_s.to_string(),
            row.effective_from.as_deref().unwrap_or(""),
        ])?;
    }
    writer.flush()
}
