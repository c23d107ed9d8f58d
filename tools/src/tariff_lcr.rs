//! `tariff-lcr`'s work: the engine's ranking ([`Market`]) written as CSV rows, for numbers
//! read on stdin (chunks of lines on the [`pipeline`](crate::pipeline)) or for every prefix
//! of the tariffs (slices of the prefix space on the same pipeline), in order, on all cores.

use std::sync::atomic::{AtomicU64, Ordering};

use ratel_engine::lcr::{Market, Ranking};
use ratel_engine::lookup::{NumberRules, Slice};
use ratel_engine::money::{write_difference, write_exact};
use ratel_engine::tariff::MAX_PREFIX_DIGITS;

use crate::csv_field::write_csv_field;
use crate::pipeline::{ChunkLines, ChunkWork, ItemWork, Notes, Output, Tally};

/// The output's header row.
pub const HEADER: &str =
    "number,sell_prefix,sell_rate,rank,supplier,supplier_prefix,supplier_rate,margin\n";

/// A ranking run: the market, how to name suppliers, and what went wrong so far.
#[derive(Debug)]
pub struct LcrJob<'a> {
    pub market: Market<'a>,
    /// Supplier names, in the order given (the market's suppliers, one for one).
    pub names: Vec<String>,
    /// At most this many ranked suppliers a number; `None`: all.
    pub top: Option<usize>,
    /// The sell tariff's currency, for messages.
    pub currency: String,
    /// How a number becomes the digits ranked ([`LcrJob::with_rules`]; a number too short
    /// is ranked on no digits: no rate).
    pub rules: NumberRules,
    /// Supplier rates that could not be converted (reported on the notes; exit 1).
    pub unconverted: AtomicU64,
    /// Slices whose walk stopped at a damaged index (reported on the notes; exit 1).
    pub damaged: AtomicU64,
    /// [numbers, with a sell rate, with a supplier] so far, added a chunk (or slice) at a
    /// time ([`LcrJob::summary`]).
    pub counts: Tally<3>,
}

/// The counts of a `tariff-lcr` run: numbers ranked (prefixes with `--prefixes`), and of
/// them those with a sell rate, those with at least one supplier, and those with none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LcrSummary {
    /// Counting prefixes (`--prefixes`) rather than numbers.
    pub prefixes: bool,
    pub numbers: u64,
    pub with_sell_rate: u64,
    pub with_supplier: u64,
}

impl LcrSummary {
    /// Numbers without a sell rate or without any supplier: what `--fail-on-unrated` stops on.
    pub fn unrated(&self) -> bool {
        self.with_sell_rate < self.numbers || self.with_supplier < self.numbers
    }
}

impl std::fmt::Display for LcrSummary {
    /// `5 numbers: 4 with a sell rate, 3 with a supplier, 2 with no supplier`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} with a sell rate, {} with a supplier, {} with no supplier",
            self.numbers,
            if self.prefixes { "prefixes" } else { "numbers" },
            self.with_sell_rate,
            self.with_supplier,
            self.numbers - self.with_supplier
        )
    }
}

/// Adds one ranked number to a worker's [numbers, with a sell rate, with a supplier].
fn count(counts: &mut [u64; 3], ranking: &Ranking) {
    counts[0] += 1;
    counts[1] += u64::from(ranking.sell.is_some());
    counts[2] += u64::from(!ranking.offers.is_empty());
}

impl<'a> LcrJob<'a> {
    /// A run over `market`, its suppliers named `names`, `top` of them a number at most,
    /// prices in `currency`.
    pub fn new(
        market: Market<'a>,
        names: Vec<String>,
        top: Option<usize>,
        currency: String,
    ) -> LcrJob<'a> {
        LcrJob {
            market,
            names,
            top,
            currency,
            rules: NumberRules::default(),
            unconverted: AtomicU64::new(0),
            damaged: AtomicU64::new(0),
            counts: Tally::default(),
        }
    }

    /// This run, with numbers normalised by `rules`.
    pub fn with_rules(self, rules: NumberRules) -> LcrJob<'a> {
        LcrJob { rules, ..self }
    }

    /// The counts of the run so far (all of it once the pipeline has returned); `prefixes`:
    /// the run ranked prefixes.
    pub fn summary(&self, prefixes: bool) -> LcrSummary {
        let [numbers, with_sell_rate, with_supplier] = self.counts.get();
        LcrSummary {
            prefixes,
            numbers,
            with_sell_rate,
            with_supplier,
        }
    }

    /// Appends the rows of one number (or prefix) whose digits are `digits`: one a ranked
    /// supplier, or one with the supplier fields empty when no supplier has a rate.
    fn write(
        &self,
        number: &[u8],
        digits: &[u8],
        ranking: &Ranking,
        out: &mut Vec<u8>,
        notes: &mut Notes,
        lead: &mut Vec<u8>,
    ) {
        // number,sell_prefix,sell_rate, — the same on every row of the number.
        lead.clear();
        write_csv_field(lead, number);
        lead.push(b',');
        if let Some((quote, rate)) = ranking.sell {
            lead.extend_from_slice(&digits[..usize::from(quote.prefix_len)]);
            lead.push(b',');
            write_exact(lead, rate);
        } else {
            lead.push(b',');
        }
        lead.push(b',');
        let offers = &ranking.offers[..self.top.unwrap_or(usize::MAX).min(ranking.offers.len())];
        if offers.is_empty() {
            out.extend_from_slice(lead);
            out.extend_from_slice(b",,,,\n");
        }
        let mut rank = itoa::Buffer::new();
        for (position, offer) in offers.iter().enumerate() {
            out.extend_from_slice(lead);
            out.extend_from_slice(rank.format(position + 1).as_bytes());
            out.push(b',');
            write_csv_field(out, self.names[offer.supplier].as_bytes());
            out.push(b',');
            out.extend_from_slice(&digits[..usize::from(offer.quote.prefix_len)]);
            out.push(b',');
            write_exact(out, offer.rate);
            out.push(b',');
            if let Some((_, sell)) = ranking.sell {
                write_difference(out, sell, offer.rate);
            }
            out.push(b'\n');
        }
        for &(supplier, quote) in &ranking.unconverted {
            self.unconverted.fetch_add(1, Ordering::Relaxed);
            notes.push(
                format!(
                    "tariff-lcr: {}: the rate of supplier {} at prefix {} cannot be converted into {} (out of range); left out\n",
                    String::from_utf8_lossy(number),
                    self.names[supplier],
                    String::from_utf8_lossy(&digits[..usize::from(quote.prefix_len)]),
                    self.currency
                )
                .as_bytes(),
            );
        }
    }
}

/// A `tariff-lcr` worker's buffers, kept from item to item.
#[derive(Debug, Default)]
pub struct LcrScratch {
    ranking: Ranking,
    lead: Vec<u8>,
}

/// Numbers on stdin: one a line, ranked on the digits `tariff-lookup` would match.
impl ChunkWork for LcrJob<'_> {
    type State = LcrScratch;
    /// A number of 13 bytes gives a row per supplier (about 16 times its size): a smaller
    /// chunk keeps the output held in flight to a few MB.
    const CHUNK_BYTES: usize = 64 << 10;

    fn process(
        &self,
        lines: &mut ChunkLines<'_>,
        out: &mut Vec<u8>,
        notes: &mut Notes,
        scratch: &mut LcrScratch,
    ) {
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        let mut counts = [0u64; 3];
        for (line, _) in lines {
            let number = line.trim_ascii();
            let digits = self
                .rules
                .normalize(number, &mut buffer)
                .unwrap_or_default();
            self.market.rank_number(digits, &mut scratch.ranking);
            count(&mut counts, &scratch.ranking);
            self.write(
                number,
                digits,
                &scratch.ranking,
                out,
                notes,
                &mut scratch.lead,
            );
        }
        self.counts.add(counts);
    }
}

/// `--prefixes`: every prefix of the tariffs, one slice an item.
impl ItemWork for LcrJob<'_> {
    type Item = Slice;
    type State = LcrScratch;

    fn process(
        &self,
        slice: Slice,
        out: &mut Output<'_>,
        notes: &mut Notes,
        scratch: &mut LcrScratch,
    ) {
        let LcrScratch { ranking, lead } = scratch;
        let mut counts = [0u64; 3];
        let walked = self.market.rank_slice(slice, ranking, |prefix, ranking| {
            count(&mut counts, ranking);
            self.write(prefix, prefix, ranking, &mut out.rows, notes, lead);
            out.row_done();
        });
        self.counts.add(counts);
        if let Err(damage) = walked {
            self.damaged.fetch_add(1, Ordering::Relaxed);
            notes.push(format!("tariff-lcr: {damage}\n").as_bytes());
        }
    }
}
