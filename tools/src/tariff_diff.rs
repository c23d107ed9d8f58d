//! `tariff-diff`'s work: the engine's merged walk of two decks ([`Decks::diff`]), one slice
//! of the prefix space an item on the ordered [`pipeline`], written as CSV rows and counted
//! by status for the summary.

use std::sync::atomic::{AtomicU64, Ordering};

use ratel_engine::diff::{Change, Decks, Notice, PrefixStatus};
use ratel_engine::lookup::Slice;
use ratel_engine::money::write_exact;

use crate::csv_field::write_csv_field;
use crate::pipeline::{ItemWork, Notes, Output};

/// The columns of every row.
pub const COLUMNS: &str = "prefix,destination,status,old_rate,new_rate,change_pct";
/// The column `--notice-days` adds.
pub const NOTICE_COLUMN: &str = "notice";

/// A diff in progress: what to compare, and the counts so far.
#[derive(Debug)]
pub struct DiffJob<'a> {
    pub decks: Decks<'a>,
    /// `--notice-days` and `--received`, when given: the `notice` column is written.
    pub notice: Option<Notice>,
    /// Prefixes by status, in [`PrefixStatus::ALL`] order.
    pub counts: [AtomicU64; PrefixStatus::ALL.len()],
    /// Increases on short notice.
    pub short: AtomicU64,
    /// Slices whose walk stopped at a damaged index (reported on the notes; exit 1).
    pub damaged: AtomicU64,
}

impl<'a> DiffJob<'a> {
    pub fn new(decks: Decks<'a>, notice: Option<Notice>) -> DiffJob<'a> {
        DiffJob {
            decks,
            notice,
            counts: Default::default(),
            short: AtomicU64::new(0),
            damaged: AtomicU64::new(0),
        }
    }

    /// The header row.
    pub fn header(&self) -> String {
        match self.notice {
            Some(_) => format!("{COLUMNS},{NOTICE_COLUMN}\n"),
            None => format!("{COLUMNS}\n"),
        }
    }

    /// The summary line: prefixes compared, then each status's count.
    pub fn summary(&self) -> String {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .collect();
        let mut parts = Vec::new();
        for (status, count) in PrefixStatus::ALL.iter().zip(&counts) {
            let mut part = format!("{count} {}", status.name());
            if *status == PrefixStatus::Increased && self.notice.is_some() {
                part.push_str(&format!(
                    " ({} on short notice)",
                    self.short.load(Ordering::Relaxed)
                ));
            }
            parts.push(part);
        }
        format!(
            "{} prefixes: {}",
            counts.iter().sum::<u64>(),
            parts.join(", ")
        )
    }

    fn write(
        &self,
        change: &Change<'_>,
        out: &mut Vec<u8>,
        counts: &mut [u64; 6],
        short: &mut u64,
    ) {
        counts[change.status as usize] += 1;
        out.extend_from_slice(change.prefix);
        out.push(b',');
        write_csv_field(out, change.destination());
        out.push(b',');
        out.extend_from_slice(change.status.name().as_bytes());
        out.push(b',');
        if let Some(old) = change.old {
            write_exact(out, old.rate);
        }
        out.push(b',');
        if let Some(new) = change.new {
            write_exact(out, new.rate);
        }
        out.push(b',');
        if let Some(pct) = change.change_pct() {
            pct.write(out);
        }
        if let Some(notice) = self.notice {
            out.push(b',');
            if change.is_short_notice(notice) {
                *short += 1;
                out.extend_from_slice(b"short");
            }
        }
        out.push(b'\n');
    }
}

impl ItemWork for DiffJob<'_> {
    type Item = Slice;
    type State = ();

    fn process(&self, slice: Slice, out: &mut Output<'_>, notes: &mut Notes, _state: &mut ()) {
        let (mut counts, mut short) = ([0u64; PrefixStatus::ALL.len()], 0u64);
        let walked = self.decks.diff(slice, |change| {
            self.write(change, &mut out.rows, &mut counts, &mut short);
            out.row_done();
        });
        if let Err(damage) = walked {
            self.damaged.fetch_add(1, Ordering::Relaxed);
            notes.push(format!("tariff-diff: {damage}\n").as_bytes());
        }
        for (total, count) in self.counts.iter().zip(counts) {
            total.fetch_add(count, Ordering::Relaxed);
        }
        self.short.fetch_add(short, Ordering::Relaxed);
    }
}
