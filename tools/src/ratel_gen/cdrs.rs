//! Calls (`cdrs.csv`) for `tariff-rate` and the charging benches, dialed as `numbers.txt` is.

use std::io::{self, Write};

use super::numbers::dialed_number;
use super::random::SplitMix64;
use super::row::GenRow;
use ratel_engine::time::Timestamp;

/// The header of `cdrs.csv`.
pub const CDR_HEADER: &str = "id,number,billsec,start";

/// The calls of a dataset, the same for every file written from one seed: numbers as in
/// `numbers.txt`, ~5% unanswered calls (billsec 0), most calls 1–600 s and ~2% up to an
/// hour, started through November 2026.
struct Calls<'r> {
    rows: &'r [GenRow],
    rng: SplitMix64,
    november: i64,
}

/// One call of [`Calls`].
struct Call {
    billsec: u64,
    start: Timestamp,
}

impl Calls<'_> {
    fn new(rows: &[GenRow], seed: u64) -> Calls<'_> {
        Calls {
            rows,
            rng: SplitMix64::new(seed ^ 0x0cd2_0cd2),
            november: Timestamp::parse("2026-11-01").map_or(0, |t| t.0),
        }
    }

    /// The next call, its number written into `number`.
    fn next(&mut self, number: &mut String) -> Call {
        let rng = &mut self.rng;
        dialed_number(self.rows, rng, number);
        let billsec = if rng.percent(5) {
            0
        } else if rng.percent(2) {
            1 + rng.below(3600)
        } else {
            1 + rng.below(600)
        };
        let start = Timestamp(self.november + rng.below(30 * 86_400) as i64);
        Call { billsec, start }
    }
}

/// Writes `count` CDRs (`cdrs.csv`: `id,number,billsec,start`, start in UTC) for
/// `tariff-rate` and the charging benches ([`Calls`]).
pub fn write_cdrs(rows: &[GenRow], count: usize, seed: u64, out: impl Write) -> io::Result<()> {
    let mut calls = Calls::new(rows, seed);
    let mut out = io::BufWriter::new(out);
    let mut number = String::with_capacity(24);
    writeln!(out, "{CDR_HEADER}")?;
    for id in 1..=count {
        let Call { billsec, start } = calls.next(&mut number);
        writeln!(out, "cdr-{id},{number},{billsec},{start}")?;
    }
    out.flush()
}

/// Writes the same calls as [`write_cdrs`] as Asterisk's `cdr_csv` writes them
/// (`Master.csv`): no header, every field quoted, 18 columns (`loguniqueid` and
/// `loguserfield` on), times on the switch's clock (the same digits as `cdrs.csv`'s UTC
/// starts), numbers dialled with the international prefix `00`, the unanswered calls with
/// `NO ANSWER`, `BUSY` or `FAILED`.
pub fn write_asterisk_cdrs(
    rows: &[GenRow],
    count: usize,
    seed: u64,
    out: impl Write,
) -> io::Result<()> {
    let mut calls = Calls::new(rows, seed);
    let mut out = io::BufWriter::new(out);
    let mut number = String::with_capacity(24);
    for id in 1..=count {
        let Call { billsec, start } = calls.next(&mut number);
        let user = 100 + id % 900;
        // Ringing: 1-20 s, taken from the id (the calls' random stream stays the same).
        let ring = 1 + (id as u64 * 7) % 20;
        let (answer, end, disposition) = if billsec == 0 {
            let disposition = ["NO ANSWER", "BUSY", "FAILED"][id % 3];
            (String::new(), Timestamp(start.0 + ring as i64), disposition)
        } else {
            let answer = Timestamp(start.0 + ring as i64);
            (
                answer.to_string(),
                Timestamp(answer.0 + billsec as i64),
                "ANSWERED",
            )
        };
        writeln!(
            out,
            "\"{account}\",\"{user}\",\"00{number}\",\"from-internal\",\"\"\"User {user}\"\" <{user}>\",\
             \"SIP/{user}-{id:08x}\",\"SIP/trunk-{id:08x}\",\"Dial\",\"SIP/trunk/00{number},60,tT\",\
             \"{start}\",\"{answer}\",\"{end}\",\"{duration}\",\"{billsec}\",\"{disposition}\",\
             \"DOCUMENTATION\",\"{unique}.{id}\",\"\"",
            account = 1000 + id % 50,
            duration = billsec + ring,
            unique = start.0,
        )?;
    }
    out.flush()
}
