//! The one function that prices a call: MOR's wholesale rule, in exact decimals.
//!
//! A call of `billsec` seconds is billed for `rated` seconds: `billsec` rounded **up** to a
//! multiple of the increment, then raised to the minimum time; a call of 0 s or less costs
//! nothing, not even the connection fee. A row with a first interval (a deck's `FIRST/NEXT`,
//! like `30/6`) bills FIRST seconds for any call up to FIRST, then rounds what is past FIRST
//! up to a multiple of NEXT (the increment), then raises that to the minimum time. Its cost is `rate × rated / 60 + connection_fee` in
//! the tariff's currency; charged in the default currency it is that cost divided by the
//! tariff currency's exchange rate, rounded half away from zero to 6 places from the exact
//! value (never from an already rounded cost). Everything is integer arithmetic on `i128`:
//! the exact cost is the fraction `numerator / (60 × 10^scale)`, rounded once at the end.
//!
//! Charging calls (`/v1/calls`), authorizing them (`/v1/authorize`) and costing CDRs
//! (`tariff-rate`) go through [`price`] and [`max_seconds`], by way of
//! [`crate::rating::Rating`], which finds the row and the exchange rate.

use crate::money::{
    divide_rounded, divide_rounded_narrow, wide_pow10, Decimal, Wide, MAX_DIGITS, POW10,
};

/// Places of every charged amount.
pub const COST_PLACES: u8 = 6;

/// A tariff row's billing terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// Per minute, in the tariff's currency.
    pub rate: Decimal,
    /// Once per call of at least one second, in the tariff's currency.
    pub connection_fee: Decimal,
    /// Billing step in seconds, at least 1.
    pub increment_s: u32,
    /// Minimal billed seconds.
    pub min_time_s: u32,
    /// Seconds billed for any call up to them (a deck's `FIRST` of `FIRST/NEXT`), after
    /// which the increment applies; 0: none, every second is rounded by the increment.
    pub first_interval_s: u32,
}

impl Terms {
    /// The seconds billed for a call of `billsec` seconds on these terms: see
    /// [`rated_seconds_with_first`].
    pub fn rated_seconds(&self, billsec: i64) -> u64 {
        rated_seconds_with_first(
            billsec,
            self.first_interval_s,
            self.increment_s,
            self.min_time_s,
        )
    }
}

/// A priced call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// The seconds billed.
    pub rated_s: u64,
    /// The cost in the currency of the exchange rate it was priced with, rounded to 6 places
    /// (held canonical: print it with `money::write_fixed` to show all 6).
    pub cost: Decimal,
}

/// Why a call could not be priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CostError {
    #[error("the exchange rate must be above zero")]
    BadExchangeRate,
    #[error("the cost is out of range")]
    OutOfRange,
}

/// The seconds billed for a call of `billsec` seconds: 0 for `billsec` ≤ 0, else `billsec`
/// rounded up to a multiple of `increment_s` (taken as 1 when 0), then at least `min_time_s`.
pub fn rated_seconds(billsec: i64, increment_s: u32, min_time_s: u32) -> u64 {
    rated_seconds_with_first(billsec, 0, increment_s, min_time_s)
}

/// The seconds billed for a call of `billsec` seconds with a first interval: 0 for
/// `billsec` ≤ 0; `first_interval_s` when `billsec` ≤ it; else `first_interval_s` plus the
/// seconds past it rounded up to a multiple of `increment_s` (taken as 1 when 0); then at
/// least `min_time_s`. A first interval of 0 is none: [`rated_seconds`]'s rule.
pub fn rated_seconds_with_first(
    billsec: i64,
    first_interval_s: u32,
    increment_s: u32,
    min_time_s: u32,
) -> u64 {
    let Ok(billsec) = u64::try_from(billsec) else {
        return 0;
    };
    if billsec == 0 {
        return 0;
    }
    let first = u64::from(first_interval_s);
    let increment = u64::from(increment_s.max(1));
    let rounded = match billsec.checked_sub(first) {
        None | Some(0) => first,
        Some(past) => first.saturating_add(past.div_ceil(increment).saturating_mul(increment)),
    };
    rounded.max(u64::from(min_time_s))
}

/// Prices a call of `billsec` seconds on `terms`, converted with `exchange_rate` (units of
/// the tariff's currency per unit of the default currency; `1` keeps the tariff's currency).
pub fn price(terms: &Terms, billsec: i64, exchange_rate: Decimal) -> Result<Price, CostError> {
    let rated_s = terms.rated_seconds(billsec);
    if rated_s == 0 {
        return Ok(Price {
            rated_s,
            cost: Decimal::new(0, COST_PLACES),
        });
    }
    let units = charged_units(terms, rated_s, exchange_rate)?;
    if units.unsigned_abs().checked_ilog10().unwrap_or(0) >= MAX_DIGITS {
        return Err(CostError::OutOfRange);
    }
    Ok(Price {
        rated_s,
        cost: Decimal::new(units, COST_PLACES),
    })
}

/// The largest whole number of seconds `s` in `1..=limit` whose price (as [`price`], in the
/// default currency) is at most the exact sum of `available` (a balance and a credit, say:
/// summed here in 256 bits, so no sum of valid amounts, at any number of places, is ever out
/// of range); `None` when not even one second fits.
pub fn max_seconds(
    terms: &Terms,
    available: &[Decimal],
    exchange_rate: Decimal,
    limit: u32,
) -> Result<Option<u32>, CostError> {
    max_seconds_after(terms, available, exchange_rate, 0, limit)
}

/// [`max_seconds`] for a call already `used` seconds long: the largest `s` in `1..=limit`
/// whose price of `used + s` seconds fits in `available` (a call in progress asking for more
/// time, `/v1/sessions/update`).
pub fn max_seconds_after(
    terms: &Terms,
    available: &[Decimal],
    exchange_rate: Decimal,
    used: u32,
    limit: u32,
) -> Result<Option<u32>, CostError> {
    // Compared exactly, at the finest scale of the amounts: never by rounding `available`.
    let scale = available
        .iter()
        .map(|amount| u32::from(amount.scale()))
        .fold(u32::from(COST_PLACES), u32::max);
    // Summed in 256 bits once, on first need.
    let available_wide = std::cell::OnceCell::new();
    let available_units = || {
        *available_wide.get_or_init(|| {
            available.iter().fold(Wide::ZERO, |sum, amount| {
                sum + Wide::from(amount.units()) * wide_pow10(scale - u32::from(amount.scale()))
            })
        })
    };
    // The same sum and comparisons in 128 bits where they fit (every ordinary balance):
    // 256-bit products cost several times more, and a search prices 4 to 13 lengths.
    let available_narrow = available.iter().try_fold(0i128, |sum, amount| {
        let power = *POW10.get(scale as usize - usize::from(amount.scale()))?;
        amount.units().checked_mul(power)?.checked_add(sum)
    });
    let charged_power = POW10
        .get(scale as usize - usize::from(COST_PLACES))
        .copied();
    let fits = |seconds: u64| -> Result<bool, CostError> {
        let billsec =
            i64::try_from(seconds + u64::from(used)).map_err(|_| CostError::OutOfRange)?;
        let rated = terms.rated_seconds(billsec);
        let charged = charged_units(terms, rated, exchange_rate)?;
        let narrow = charged_power.and_then(|power| charged.checked_mul(power));
        if let (Some(charged), Some(available)) = (narrow, available_narrow) {
            return Ok(charged <= available);
        }
        let charged = Wide::from(charged) * wide_pow10(scale - u32::from(COST_PLACES));
        Ok(charged <= available_units())
    };
    if limit == 0 {
        return Ok(None);
    }
    let limit_s = u64::from(limit);
    let guess = guess_seconds(terms, available, exchange_rate, used);
    // The price never falls as the call grows, so `s` is the answer when it fits and `s + 1`
    // does not (or `s` is the limit). The second the guess's billed time ends on is tried
    // that way first: two prices decide most answers. Any other outcome (a guess in the
    // wrong step, a price that cannot be worked out) leaves it to the search below.
    if let Some(guess) = guess {
        let billed = i64::try_from(guess.clamp(1, limit_s) + u64::from(used))
            .map(|billsec| terms.rated_seconds(billsec));
        if let Ok(billed) = billed {
            let end = billed.saturating_sub(u64::from(used)).clamp(1, limit_s);
            if matches!(fits(end), Ok(true))
                && (end == limit_s || matches!(fits(end + 1), Ok(false)))
            {
                return Ok(u32::try_from(end).ok());
            }
        }
    }
    if !fits(1)? {
        return Ok(None);
    }
    // Otherwise, find the last second that fits by halving.
    let (mut fitting, mut too_long) = (1u64, limit_s + 1);
    // Narrowed first around the guess; a bound moves only once `fits` confirms it, so the
    // answer is decided exactly whatever the guess (a wrong guess costs the whole search).
    if let Some(guess) = guess {
        let margin = u64::from(terms.increment_s.max(1)) + 2;
        let low = guess.saturating_sub(margin);
        // A price that cannot be worked out tells nothing here: the search decides.
        if low > fitting && low < too_long && matches!(fits(low), Ok(true)) {
            fitting = low;
        }
        let high = guess.saturating_add(margin);
        if high > fitting && high < too_long && matches!(fits(high), Ok(false)) {
            too_long = high;
        }
    }
    while too_long - fitting > 1 {
        let middle = fitting + (too_long - fitting) / 2;
        if fits(middle)? {
            fitting = middle;
        } else {
            too_long = middle;
        }
    }
    Ok(u32::try_from(fitting).ok())
}

/// Roughly the seconds past `used` that `available` pays for at these terms, in binary
/// floating point (never an answer: only where [`max_seconds_after`] starts its exact
/// search); `None` for a free rate or nothing to spend.
fn guess_seconds(
    terms: &Terms,
    available: &[Decimal],
    exchange_rate: Decimal,
    used: u32,
) -> Option<u64> {
    let rate = terms.rate.to_f64();
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let money = available.iter().map(|amount| amount.to_f64()).sum::<f64>()
        * exchange_rate.to_f64()
        - terms.connection_fee.to_f64();
    let seconds = money * 60.0 / rate - f64::from(used);
    // `as` saturates: a huge guess is cut to the search's own bounds by the caller.
    (seconds.is_finite() && seconds >= 1.0).then_some(seconds as u64)
}

/// `(rate × rated / 60 + fee) / exchange_rate` in units of `10^-6`, rounded half away from
/// zero from the exact value, worked out in 256 bits (deck amounts and exchange rates have at
/// most 18 digits and 18 places, so no step can pass them); out of range when the result
/// does not fit 128 bits.
fn charged_units(terms: &Terms, rated_s: u64, exchange_rate: Decimal) -> Result<i128, CostError> {
    if exchange_rate.units() <= 0 {
        return Err(CostError::BadExchangeRate);
    }
    if let Some(units) = charged_units_narrow(terms, rated_s, exchange_rate) {
        return Ok(units);
    }
    charged_units_wide(terms, rated_s, exchange_rate)
}

/// [`charged_units`] in 128 bits, the same steps; `None` when a step would not fit (then the
/// 256-bit steps decide). Every call of an ordinary deck is priced here: 256-bit division
/// costs several times more.
fn charged_units_narrow(terms: &Terms, rated_s: u64, exchange_rate: Decimal) -> Option<i128> {
    let scale = terms.rate.scale().max(terms.connection_fee.scale());
    let widen = |d: Decimal| {
        d.units()
            .checked_mul(*POW10.get(usize::from(scale - d.scale()))?)
    };
    let numerator = widen(terms.rate)?
        .checked_mul(i128::from(rated_s))?
        .checked_add(widen(terms.connection_fee)?.checked_mul(60)?)?;
    let numerator = numerator
        .checked_mul(*POW10.get(usize::from(COST_PLACES) + usize::from(exchange_rate.scale()))?)?;
    let denominator = POW10
        .get(usize::from(scale))?
        .checked_mul(60)?
        .checked_mul(exchange_rate.units())?;
    Some(divide_rounded_narrow(numerator, denominator))
}

/// [`charged_units`] in 256 bits.
fn charged_units_wide(
    terms: &Terms,
    rated_s: u64,
    exchange_rate: Decimal,
) -> Result<i128, CostError> {
    let scale = terms.rate.scale().max(terms.connection_fee.scale());
    let widen = |d: Decimal| Wide::from(d.units()) * wide_pow10(u32::from(scale - d.scale()));
    // cost × 60 × 10^scale, exactly.
    let numerator = widen(terms.rate) * Wide::from(rated_s) + widen(terms.connection_fee) * 60;
    // charged × 10^6 = numerator × 10^(6 + xs) / (60 × 10^scale × x_units).
    let numerator = numerator
        .checked_mul(wide_pow10(
            u32::from(COST_PLACES) + u32::from(exchange_rate.scale()),
        ))
        .ok_or(CostError::OutOfRange)?;
    let denominator =
        Wide::from(60i128) * wide_pow10(u32::from(scale)) * Wide::from(exchange_rate.units());
    i128::try_from(divide_rounded(numerator, denominator)).map_err(|_| CostError::OutOfRange)
}

#[cfg(test)]
mod tests;
