//! Calls (`cdrs.csv`) for `tariff-rate` and the charging benches, dialed as `numbers.txt` is.

use std::io::{self, Write};

use super::numbers::dialed_number;
use super::random::SplitMix64;
use super::row::GenRow;

/// The header of `cdrs.csv`.
pub const CDR_HEADER: &str = "id,number,billsec,start";

/// Writes `count` CDRs (`cdrs.csv`: `id,number,billsec,start`) for `tariff-rate` and the
/// charging benches: numbers as in `numbers.txt`, ~5% unanswered calls (billsec 0), most
/// calls 1–600 s and ~2% up to an hour, started through November 2026 (UTC).
pub fn write_cdrs(rows: &[GenRow], count: usize, seed: u64, out: impl Write) -> io::Result<()> {
    let mut rng = SplitMix64::new(seed ^ 0x0cd2_0cd2);
    let mut out = io::BufWriter::new(out);
    let mut number = String::with_capacity(24);
    let november = ratel_engine::time::Timestamp::parse("2026-11-01").map_or(0, |t| t.0);
    writeln!(out, "{CDR_HEADER}")?;
    for id in 1..=count {
        dialed_number(rows, &mut rng, &mut number);
        let billsec = if rng.percent(5) {
            0
        } else if rng.percent(2) {
            1 + rng.below(3600)
        } else {
            1 + rng.below(600)
        };
        let start = ratel_engine::time::Timestamp(november + rng.below(30 * 86_400) as i64);
        writeln!(out, "cdr-{id},{number},{billsec},{start}")?;
    }
    out.flush()
}
