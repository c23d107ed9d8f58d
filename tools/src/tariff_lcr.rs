//! `tariff-lcr`'s work: the engine's ranking ([`Market`]) written as CSV rows, for numbers
//! read on stdin (chunks of lines on the [`pipeline`]) or for every prefix of the tariffs
//! (slices of the prefix space on the same pipeline), in order, on all cores.

use std::sync::atomic::{AtomicU64, Ordering};

use ratel_engine::lcr::{Market, Ranking};
use ratel_engine::lookup::{dialed_digits, Slice};
use ratel_engine::money::{write_difference, write_exact};
use ratel_engine::tariff::MAX_PREFIX_DIGITS;

use crate::csv_field::write_csv_field;
use crate::pipeline::{self, ChunkWork, ItemWork, Output};

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
    /// Supplier rates that could not be converted (reported on the notes; exit 1).
    pub unconverted: AtomicU64,
    /// Slices whose walk stopped at a damaged index (reported on the notes; exit 1).
    pub damaged: AtomicU64,
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
            unconverted: AtomicU64::new(0),
            damaged: AtomicU64::new(0),
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
        notes: &mut Vec<u8>,
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
            notes.extend_from_slice(
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

    fn process(
        &self,
        chunk: &[u8],
        _first_line: u64,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        scratch: &mut LcrScratch,
    ) {
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        for line in pipeline::lines(chunk) {
            let number = line.trim_ascii();
            let digits = dialed_digits(number, &mut buffer);
            self.market.rank_number(digits, &mut scratch.ranking);
            self.write(
                number,
                digits,
                &scratch.ranking,
                out,
                notes,
                &mut scratch.lead,
            );
        }
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
        notes: &mut Vec<u8>,
        scratch: &mut LcrScratch,
    ) {
        let LcrScratch { ranking, lead } = scratch;
        let walked = self.market.rank_slice(slice, ranking, |prefix, ranking| {
            self.write(prefix, prefix, ranking, &mut out.rows, notes, lead);
            out.row_done();
        });
        if let Err(damage) = walked {
            self.damaged.fetch_add(1, Ordering::Relaxed);
            notes.extend_from_slice(format!("tariff-lcr: {damage}\n").as_bytes());
        }
    }
}
