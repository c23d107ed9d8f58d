//! Least-cost ranking (`tariff-lcr`): for a number, or for every prefix of a set of tariffs,
//! each supplier's longest-prefix rate, cheapest first, against the rate the number is sold
//! at.
//!
//! A number is looked up in each tariff. The prefix space is not: every tariff's prefixes
//! are walked together in one merged pass, slice by slice, and each tariff keeps the stack of
//! its prefixes that are a prefix of the current one. The top of that stack is the tariff's
//! longest-prefix match for the current prefix, found without a lookup; a prefix without a
//! row in force at the time never enters a stack, so a shorter one answers, as in a lookup.
//!
//! Rates are per minute and compared as stored, a supplier's converted into the sell
//! tariff's currency when the caller gives exchange rates (rounded half away from zero to 6
//! places). Ties keep the order the suppliers were given in.

use crate::accounts::Currencies;
use crate::artifact::Artifact;
use crate::cost::COST_PLACES;
use crate::lookup::{DamagedIndex, PrefixRow, Prefixes, Slice};
use crate::money::Decimal;
use crate::time::Timestamp;

/// One tariff's answer for a number or prefix: the matched prefix's length and its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quote {
    pub prefix_len: u8,
    pub record: u32,
}

/// A supplier ranked: its index in the order given, its quote, and its rate in the sell
/// tariff's currency (converted: rounded to 6 places).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    pub supplier: usize,
    pub quote: Quote,
    pub rate: Decimal,
    /// What it is ranked by: the rate in units of 10^-18 of the sell currency, converted
    /// exactly that far (so two converted rates that round alike still rank by value).
    rank_key: i128,
}

/// Places of an offer's rank key.
const RANK_PLACES: u8 = 18;

/// The sell tariff's quote and the suppliers' offers, cheapest first.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    pub sell: Option<(Quote, Decimal)>,
    pub offers: Vec<Offer>,
    /// Suppliers whose rate could not be converted (out of range): left out of `offers`.
    pub unconverted: Vec<(usize, Quote)>,
}

/// A supplier tariff, and how its rates become the sell tariff's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supplier {
    pub tariff: usize,
    /// (its currency's exchange rate, the sell currency's), against one base; `None`: same
    /// currency, rates taken as stored.
    pub conversion: Option<(Decimal, Decimal)>,
}

/// Why a supplier cannot be ranked against the sell tariff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unconvertible {
    /// Another currency, and no exchange rates given.
    #[error("supplier {supplier} is priced in {from} and the sell tariff {sell} in {to}")]
    NoRates {
        supplier: String,
        from: String,
        sell: String,
        to: String,
    },
    /// The exchange rates lack a currency of one of the two tariffs.
    #[error("currency {code} (of tariff {tariff}) is not in the exchange rates")]
    Missing { code: String, tariff: String },
}

impl Supplier {
    /// Supplier tariff `tariff` of `artifact`, against sell tariff `sell`: rates taken as
    /// stored when both share a currency (codes compared ignoring case), converted with
    /// `currencies` otherwise, refused without them.
    pub fn new(
        artifact: &Artifact,
        sell: usize,
        tariff: usize,
        currencies: Option<&Currencies>,
    ) -> Result<Supplier, Unconvertible> {
        let (sell, supplier) = (&artifact.tariffs()[sell], &artifact.tariffs()[tariff]);
        if sell.currency.eq_ignore_ascii_case(&supplier.currency) {
            return Ok(Supplier {
                tariff,
                conversion: None,
            });
        }
        let Some(currencies) = currencies else {
            return Err(Unconvertible::NoRates {
                supplier: supplier.name.clone(),
                from: supplier.currency.clone(),
                sell: sell.name.clone(),
                to: sell.currency.clone(),
            });
        };
        let rate = |of: &crate::artifact::TariffInfo| {
            currencies
                .get(&of.currency)
                .map(|c| c.rate)
                .ok_or_else(|| Unconvertible::Missing {
                    code: of.currency.clone(),
                    tariff: of.name.clone(),
                })
        };
        Ok(Supplier {
            tariff,
            conversion: Some((rate(supplier)?, rate(sell)?)),
        })
    }
}

/// What is ranked: one sell tariff and its suppliers in one artifact, at one time.
#[derive(Debug, Clone)]
pub struct Market<'a> {
    pub artifact: &'a Artifact,
    pub sell: usize,
    pub suppliers: Vec<Supplier>,
    pub at: Timestamp,
}

impl Market<'_> {
    /// Ranks the suppliers for a number's digits (as `lookup::NumberRules::normalize` gives them).
    pub fn rank_number(&self, digits: &[u8], ranking: &mut Ranking) {
        let quote = |tariff| {
            self.artifact
                .longest_match(tariff, digits, self.at)
                .map(|found| Quote {
                    prefix_len: found.prefix_len,
                    record: found.record,
                })
        };
        self.rank(
            quote(self.sell),
            |i| quote(self.suppliers[i].tariff),
            ranking,
        );
    }

    /// Calls `each` with every prefix of `slice` that the sell tariff or a supplier holds
    /// in force, in prefix order, and its ranking. `Err` when the index turned out damaged
    /// (the rankings before were sound).
    pub fn rank_slice(
        &self,
        slice: Slice,
        ranking: &mut Ranking,
        mut each: impl FnMut(&[u8], &Ranking),
    ) -> Result<(), DamagedIndex> {
        // Walk 0 is the sell tariff, walk i + 1 supplier i.
        let tariffs: Vec<usize> = std::iter::once(self.sell)
            .chain(self.suppliers.iter().map(|s| s.tariff))
            .collect();
        let mut walks: Vec<Walk<'_>> = tariffs
            .iter()
            .map(|&tariff| {
                let mut prefixes = self.artifact.prefixes(tariff, slice, self.at);
                Walk {
                    head: prefixes.next(),
                    prefixes,
                    stack: Vec::new(),
                }
            })
            .collect();
        if walks.iter().all(|walk| walk.head.is_none()) {
            // Most slices of a deck are empty: no ancestors to look up.
            return walks.iter().try_for_each(|walk| walk.prefixes.check());
        }
        for (walk, &tariff) in walks.iter_mut().zip(&tariffs) {
            walk.stack = self.artifact.ancestors(tariff, slice, self.at);
        }
        loop {
            let Some(current) = walks
                .iter()
                .filter_map(|walk| walk.head)
                .min_by(|a, b| a.prefix().cmp(b.prefix()))
            else {
                return walks.iter().try_for_each(|walk| walk.prefixes.check());
            };
            let prefix = current.prefix();
            for walk in &mut walks {
                walk.advance_to(prefix);
            }
            let quote = |walk: &Walk<'_>| {
                walk.stack.last().map(|row| Quote {
                    prefix_len: row.prefix().len() as u8,
                    record: row.row.record,
                })
            };
            self.rank(quote(&walks[0]), |i| quote(&walks[i + 1]), ranking);
            each(prefix, ranking);
        }
    }

    /// Fills `ranking` from the sell tariff's quote and each supplier's.
    fn rank(
        &self,
        sell: Option<Quote>,
        supplier_quote: impl Fn(usize) -> Option<Quote>,
        ranking: &mut Ranking,
    ) {
        ranking.sell =
            sell.and_then(|quote| Some((quote, self.artifact.record_rate(quote.record)?)));
        ranking.offers.clear();
        ranking.unconverted.clear();
        for (index, supplier) in self.suppliers.iter().enumerate() {
            let Some(quote) = supplier_quote(index) else {
                continue;
            };
            let Some(stored) = self.artifact.record_rate(quote.record) else {
                continue;
            };
            let priced = match supplier.conversion {
                None => stored.widened(RANK_PLACES).map(|key| (stored, key)),
                Some((from, to)) => stored.converted(from, to, COST_PLACES).and_then(|rate| {
                    let finer = stored.converted_units(from, to, RANK_PLACES);
                    let key = finer.or_else(|| rate.widened(RANK_PLACES))?;
                    Some((rate, key))
                }),
            };
            match priced {
                Some((rate, rank_key)) => ranking.offers.push(Offer {
                    supplier: index,
                    quote,
                    rate,
                    rank_key,
                }),
                None => ranking.unconverted.push((index, quote)),
            }
        }
        // Stable: equal rates keep the suppliers' order.
        ranking.offers.sort_by_key(|offer| offer.rank_key);
    }
}

/// One tariff's side of a merged walk: its next prefix, and its prefixes that are a prefix
/// of the current one, shortest first.
struct Walk<'a> {
    prefixes: Prefixes<'a>,
    head: Option<PrefixRow>,
    stack: Vec<PrefixRow>,
}

impl Walk<'_> {
    /// Moves to `prefix` (no prefix of the walk's tariff before it is left unread): drops
    /// the stacked prefixes it does not extend, and stacks the head when it is `prefix`.
    fn advance_to(&mut self, prefix: &[u8]) {
        while self
            .stack
            .last()
            .is_some_and(|top| !prefix.starts_with(top.prefix()))
        {
            self.stack.pop();
        }
        if let Some(head) = self.head.filter(|head| head.prefix() == prefix) {
            self.stack.push(head);
            self.head = self.prefixes.next();
        }
    }
}
