//! Rating: which row of which tariff prices a call, and what the call costs in the default
//! currency. The one place the pricing inputs are gathered: `rate_get`, `/v1/rates`,
//! `/v1/authorize`, `/v1/calls` and `tariff-rate` ([`rate_in_tariff`]) all look rates up through
//! [`find_rate`], and everything that charges or limits a call prices it through
//! [`Rating::price`] and [`Rating::max_seconds`], which hand the row's terms to
//! [`crate::cost`] with the tariff currency's exchange rate.
//!
//! Who pays decides where the rate is searched: a user's `custom_tariff` first, then its
//! `tariff` (any match in the custom tariff wins, even a shorter one: MOR's rule); a card's
//! group `tariff`.

use crate::accounts::{Accounts, Card, Credit, User};
use crate::artifact::{Artifact, RateRecord, TariffInfo};
use crate::cost::COST_PLACES;
use crate::cost::{self, CostError, Price, Terms};
use crate::lookup::NumberRules;
use crate::money::{Decimal, MAX_DIGITS};
use crate::tariff::MAX_PREFIX_DIGITS;
use crate::time::Timestamp;

/// How a number is matched against a tariff's prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// The number must be a prefix of the tariff, digit for digit.
    Exact,
    /// The longest prefix of the number (`rate_get` with `by_full_dst=1`).
    Longest,
}

/// A rate found in one of a payer's tariffs.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    /// The tariff it was found in.
    pub tariff: &'a TariffInfo,
    /// The row in force at the time asked.
    pub record: RateRecord<'a>,
    /// Its number in the artifact (rows of one deck share records: a key for caches).
    pub record_index: u32,
    /// The prefix matched: the first `prefix_len` digits of the digits looked up.
    pub prefix_len: u8,
}

/// The first of `tariffs` (in order; `None`s and names the artifact lacks are skipped) with a
/// row for `digits` in force at `at`. A match in an earlier tariff wins over any match in a
/// later one, however long (a user's custom tariff before its main tariff).
#[inline]
pub fn find_rate<'a, 'n>(
    artifact: &'a Artifact,
    tariffs: impl IntoIterator<Item = Option<&'n str>>,
    digits: &[u8],
    at: Timestamp,
    matching: Matching,
) -> Option<Found<'a>> {
    for name in tariffs {
        let Some(id) = name.and_then(|name| artifact.tariff_id(name)) else {
            continue;
        };
        let found = match matching {
            Matching::Exact => artifact.exact_match(id, digits, at),
            Matching::Longest => artifact.longest_match(id, digits, at),
        };
        if let Some(found) = found {
            return found_in(artifact, id, found);
        }
    }
    None
}

/// The [`Found`] of a match in tariff `id`; `None` when the index points past the records
/// (damage: no rate, rather than a wrong one).
fn found_in(artifact: &Artifact, id: usize, found: crate::lookup::Match) -> Option<Found<'_>> {
    Some(Found {
        tariff: artifact.tariffs().get(id)?,
        record: artifact.record(found.record)?,
        record_index: found.record,
        prefix_len: found.prefix_len,
    })
}

/// Who pays for a call.
#[derive(Debug, Clone, Copy)]
pub enum Payer<'a> {
    User(&'a User),
    Card(&'a Card),
}

impl<'a> Payer<'a> {
    /// The tariffs that price this payer's calls, in search order.
    pub fn tariffs(self, accounts: &'a Accounts) -> [Option<&'a str>; 2] {
        match self {
            Payer::User(user) => accounts.tariffs_of(user),
            Payer::Card(card) => [
                accounts
                    .card_group(card.group_id)
                    .and_then(|group| group.tariff.as_deref()),
                None,
            ],
        }
    }

    /// The balance now, in the default currency.
    pub fn balance(self) -> Decimal {
        match self {
            Payer::User(user) => user.balance(),
            Payer::Card(card) => card.balance(),
        }
    }

    /// The payer's balance and the money its calls in progress hold, of one moment.
    pub fn balance_and_reserved(self) -> (Decimal, Decimal) {
        match self {
            Payer::User(user) => user.live.get_with_reserved(),
            Payer::Card(card) => card.live.get_with_reserved(),
        }
    }

    /// What the payer may still spend with `balance` while its calls in progress hold
    /// `reserved`: balance + limit − reserved (`None`: no limit, or beyond 38 digits).
    pub fn spendable(self, balance: Decimal, reserved: Decimal) -> Option<Decimal> {
        spendable(balance, self.limit(), reserved)
    }

    /// What the payer may spend beyond its balance: a user's credit, minus a card's
    /// `min_balance`; `None` for a user with unlimited credit.
    pub fn limit(self) -> Option<Decimal> {
        match self {
            Payer::User(user) => match user.credit {
                Credit::Unlimited => None,
                Credit::Limited(credit) => Some(credit),
            },
            Payer::Card(card) => Some(card.min_balance.negated()),
        }
    }
}

/// What a payer with `balance`, `limit` beyond it (its credit, or minus a card's
/// `min_balance`; `None`: no limit) and `reserved` held by its calls in progress may still
/// spend: balance + limit − reserved (`None` without a limit, or beyond 38 digits). The one
/// rule for `/v1/authorize`, `/v1/balance` and the sessions' grants.
pub fn spendable(balance: Decimal, limit: Option<Decimal>, reserved: Decimal) -> Option<Decimal> {
    balance.checked_add(limit?)?.checked_add(reserved.negated())
}

/// Why a call could not be rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RatingError<'a> {
    /// No tariff of the payer has a row for the number at that time (or it has no tariff).
    #[error("rate not found")]
    RateNotFound,
    /// The tariff's currency is not in currencies.csv, so its costs cannot be converted.
    #[error("tariff {tariff} is in {currency}, which currencies.csv does not list")]
    UnknownCurrency { tariff: &'a str, currency: &'a str },
}

/// The row that prices a call, with what pricing it needs.
#[derive(Debug, Clone, Copy)]
pub struct Rating<'a> {
    pub found: Found<'a>,
    pub terms: Terms,
    /// Units of the tariff's currency per unit of the default currency.
    pub exchange_rate: Decimal,
    prefix: [u8; MAX_PREFIX_DIGITS],
}

impl<'a> Rating<'a> {
    /// The tariff's name.
    pub fn tariff(&self) -> &'a str {
        &self.found.tariff.name
    }

    /// The tariff's currency: the currency of the rate and the connection fee.
    pub fn currency(&self) -> &'a str {
        &self.found.tariff.currency
    }

    /// The matched prefix.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix[..usize::from(self.found.prefix_len)]
    }

    /// The row's destination name (UTF-8).
    pub fn destination(&self) -> &'a [u8] {
        self.found.record.destination
    }

    /// A call of `billsec` seconds priced on this row, in the default currency.
    pub fn price(&self, billsec: i64) -> Result<Price, CostError> {
        cost::price(&self.terms, billsec, self.exchange_rate)
    }

    /// The longest call in `1..=limit` seconds whose price is at most `available` (`None`:
    /// no limit but `limit`); `None` when not even one second fits. A call allowed here can
    /// always be charged: when its price taken from `balance` would leave a balance beyond
    /// [`crate::money::MAX_DIGITS`] digits, the answer is [`CostError::OutOfRange`], never a
    /// call the ledger would then refuse to charge.
    pub fn max_seconds(
        &self,
        balance: Decimal,
        available: Option<&[Decimal]>,
        limit: u32,
    ) -> Result<Option<u32>, CostError> {
        let longest = match available {
            None => (limit > 0).then_some(limit),
            Some(parts) => cost::max_seconds(&self.terms, parts, self.exchange_rate, limit)?,
        };
        if let Some(seconds) = longest {
            // Any call up to `seconds` costs at most `cost`, to at most 6 places: the balance
            // it leaves lies between `balance` and `balance - cost`, at the finer of the two
            // scales, so both ends must fit.
            let cost = self.price(i64::from(seconds))?.cost;
            let scale = balance.scale().max(COST_PLACES);
            let fits = |value: Decimal| {
                value
                    .widened(scale)
                    .is_some_and(|units| units.unsigned_abs() < 10u128.pow(MAX_DIGITS))
            };
            let lowest = balance.checked_add(cost.negated());
            if !fits(balance) || !lowest.is_some_and(fits) {
                return Err(CostError::OutOfRange);
            }
        }
        Ok(longest)
    }
}

/// Rates a call to `number` (normalised by `rules`, [`NumberRules::normalize`], longest
/// prefix) paid by `payer`, on the rows in force at `at`. A number too short to be rated
/// (`rules.min_digits`) is [`RatingError::RateNotFound`].
pub fn rate<'a>(
    artifact: &'a Artifact,
    accounts: &'a Accounts,
    payer: Payer<'a>,
    rules: &NumberRules,
    number: &[u8],
    at: Timestamp,
) -> Result<Rating<'a>, RatingError<'a>> {
    let mut digits = [0u8; MAX_PREFIX_DIGITS];
    let digits = rules
        .normalize(number, &mut digits)
        .ok_or(RatingError::RateNotFound)?;
    let found = find_rate(
        artifact,
        payer.tariffs(accounts),
        digits,
        at,
        Matching::Longest,
    )
    .ok_or(RatingError::RateNotFound)?;
    rating_of(accounts, found, digits)
}

/// The [`Rating`] of a row found for `digits`: its terms and its currency's exchange rate.
pub fn rating_of<'a>(
    accounts: &Accounts,
    found: Found<'a>,
    digits: &[u8],
) -> Result<Rating<'a>, RatingError<'a>> {
    let tariff = found.tariff;
    let exchange_rate = accounts
        .currencies
        .get(&tariff.currency)
        .ok_or(RatingError::UnknownCurrency {
            tariff: &tariff.name,
            currency: &tariff.currency,
        })?
        .rate;
    Ok(rating_with(found, digits, exchange_rate))
}

/// Rates a call to `number` (normalised by `rules`, longest prefix; too short: `None`) on
/// the one tariff `tariff` (its id: looked up once by the caller, not once a call), at `at`,
/// with costs in the tariff's own currency: how `tariff-rate` prices CDRs (no payer, no
/// conversion). `None`: no row.
pub fn rate_in_tariff<'a>(
    artifact: &'a Artifact,
    tariff: usize,
    rules: &NumberRules,
    number: &[u8],
    at: Timestamp,
) -> Option<Rating<'a>> {
    let mut digits = [0u8; MAX_PREFIX_DIGITS];
    let digits = rules.normalize(number, &mut digits)?;
    let found = found_in(
        artifact,
        tariff,
        artifact.longest_match(tariff, digits, at)?,
    )?;
    Some(rating_with(found, digits, Decimal::new(1, 0)))
}

/// The [`Rating`] of `found` for `digits`, priced with `exchange_rate`.
fn rating_with<'a>(found: Found<'a>, digits: &[u8], exchange_rate: Decimal) -> Rating<'a> {
    let mut prefix = [0u8; MAX_PREFIX_DIGITS];
    let len = usize::from(found.prefix_len).min(digits.len());
    prefix[..len].copy_from_slice(&digits[..len]);
    Rating {
        terms: Terms {
            rate: found.record.rate,
            connection_fee: found.record.connection_fee,
            increment_s: found.record.increment_s,
            min_time_s: found.record.min_time_s,
            first_interval_s: found.record.first_interval_s,
        },
        exchange_rate,
        found,
        prefix,
    }
}

#[cfg(test)]
mod tests;
