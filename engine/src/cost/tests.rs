use super::*;
use proptest::prelude::*;

fn d(text: &str) -> Decimal {
    Decimal::parse(text, false).unwrap()
}

fn terms(rate: &str, fee: &str, increment_s: u32, min_time_s: u32) -> Terms {
    Terms {
        rate: d(rate),
        connection_fee: d(fee),
        increment_s,
        min_time_s,
        first_interval_s: 0,
    }
}

fn cost(terms: &Terms, billsec: i64, exchange_rate: &str) -> String {
    let mut out = Vec::new();
    let cost = price(terms, billsec, d(exchange_rate)).unwrap().cost;
    crate::money::write_fixed(&mut out, cost, COST_PLACES);
    String::from_utf8(out).unwrap()
}

#[test]
fn mor_examples_round_up_to_the_increment_then_to_the_minimum() {
    // MOR's own: 15 s at increment 10 is billed 20 s; min 10, inc 30, 5 s is 30 s.
    assert_eq!(rated_seconds(15, 10, 0), 20);
    assert_eq!(rated_seconds(5, 30, 10), 30);
    assert_eq!(rated_seconds(65, 60, 60), 120);
    assert_eq!(rated_seconds(61, 1, 0), 61);
    assert_eq!(rated_seconds(0, 60, 60), 0);
    assert_eq!(rated_seconds(-5, 60, 60), 0);
    assert_eq!(rated_seconds(1, 60, 0), 60);
    assert_eq!(rated_seconds(1, 1, 30), 30);
}

#[test]
fn hand_worked_costs() {
    // 65 s at 0.5/min, per second: 0.5 × 65 / 60 = 0.541666… → 0.541667.
    assert_eq!(cost(&terms("0.5", "0", 1, 0), 65, "1"), "0.541667");
    // 65 s at 0.5/min, 60/60 billing, fee 0.1: 0.5 × 120 / 60 + 0.1 = 1.1.
    assert_eq!(cost(&terms("0.5", "0.1", 60, 60), 65, "1"), "1.100000");
    // 0 s costs nothing, not even the fee.
    assert_eq!(cost(&terms("0.5", "0.1", 60, 60), 0, "1"), "0.000000");
    // 30 s at 0.0123/min: 0.00615 exactly.
    assert_eq!(cost(&terms("0.0123", "0", 1, 0), 30, "1"), "0.006150");
    // Half away from zero at the 7th place: 1 s at 0.00003/min = 0.0000005 → 0.000001.
    assert_eq!(cost(&terms("0.00003", "0", 1, 0), 1, "1"), "0.000001");
    // Just under half: 1 s at 0.0000299/min = 0.000000498… → 0.
    assert_eq!(cost(&terms("0.0000299", "0", 1, 0), 1, "1"), "0.000000");
}

#[test]
fn conversion_divides_the_exact_cost_and_rounds_once() {
    // A EUR tariff, EUR at 0.92 per USD: 65 s at 0.5 EUR/min = 0.541666… EUR
    // = 0.588768115… USD → 0.588768.
    assert_eq!(cost(&terms("0.5", "0", 1, 0), 65, "0.92"), "0.588768");
    // GBP at 0.79: 1 min at 1 GBP = 1.265822784… USD.
    assert_eq!(cost(&terms("1", "0", 60, 0), 60, "0.79"), "1.265823");
    // Rounding once matters: 1 s at 0.0000297/min is 0.000000495 in the tariff's
    // currency, exactly 0.0000005 at 0.99, which rounds half away from zero to one unit
    // of the 6th place; rounding the cost first (to 0) would charge nothing.
    assert_eq!(cost(&terms("0.0000297", "0", 1, 0), 1, "0.99"), "0.000001");
    assert_eq!(
        price(&terms("1", "0", 1, 0), 60, d("0")),
        Err(CostError::BadExchangeRate)
    );
}

#[test]
fn max_seconds_examples() {
    let per_second = terms("0.6", "0", 1, 0);
    // 0.6/min = 0.01/s: 1.00 buys exactly 100 s.
    assert_eq!(
        max_seconds(&per_second, &[d("1")], d("1"), 7200),
        Ok(Some(100))
    );
    assert_eq!(
        max_seconds(&per_second, &[d("1000")], d("1"), 7200),
        Ok(Some(7200))
    );
    assert_eq!(
        max_seconds(&per_second, &[d("0.009")], d("1"), 7200),
        Ok(None)
    );
    // 60/60 with a fee: 1 s already costs a minute and the fee.
    let minutes = terms("0.6", "0.1", 60, 60);
    assert_eq!(max_seconds(&minutes, &[d("0.69")], d("1"), 7200), Ok(None));
    assert_eq!(
        max_seconds(&minutes, &[d("0.7")], d("1"), 7200),
        Ok(Some(60))
    );
    assert_eq!(
        max_seconds(&minutes, &[d("1.3")], d("1"), 7200),
        Ok(Some(120))
    );
    // A free rate allows the limit.
    assert_eq!(
        max_seconds(&terms("0", "0", 1, 0), &[d("0")], d("1"), 7200),
        Ok(Some(7200))
    );
}

#[test]
fn available_is_compared_exactly_never_rounded() {
    // 1 s at 0.00006/min costs 0.000001; 0.0000005 available does not pay for it.
    let tiny = terms("0.00006", "0", 1, 0);
    assert_eq!(max_seconds(&tiny, &[d("0.0000005")], d("1"), 10), Ok(None));
    assert_eq!(
        max_seconds(&tiny, &[d("0.000001")], d("1"), 10),
        Ok(Some(1))
    );
    assert_eq!(
        max_seconds(&tiny, &[d("0.0000019")], d("1"), 10),
        Ok(Some(1))
    );
    // A negative balance pays for nothing, not even a free second.
    let free = terms("0", "0", 1, 0);
    let negative = Decimal::parse("-0.0000004", true).unwrap();
    assert_eq!(max_seconds(&free, &[negative], d("1"), 10), Ok(None));
    // Review: a balance of 18 places plus a credit is more than 18 digits; the sum is
    // exact all the same (1200 s at 0.5 a minute for 10.000000000000000001).
    let half = terms("0.5", "0", 1, 0);
    let parts = [d("0.000000000000000001"), d("10")];
    assert_eq!(max_seconds(&half, &parts, d("1"), 7200), Ok(Some(1200)));
    let parts = [d("0.000000000000000001"), d("10").negated()];
    assert_eq!(max_seconds(&half, &parts, d("1"), 7200), Ok(None));
    // The top of the range is reachable.
    assert_eq!(
        max_seconds(&free, &[d("0")], d("1"), u32::MAX),
        Ok(Some(u32::MAX))
    );
}

#[test]
fn amounts_out_of_range_are_errors_not_wrong_answers() {
    let huge = Terms {
        rate: Decimal::new(i64::MAX.into(), 0),
        connection_fee: Decimal::new(i64::MAX.into(), 18),
        increment_s: 1,
        min_time_s: 0,
        first_interval_s: 0,
    };
    assert_eq!(price(&huge, i64::MAX, d("1")), Err(CostError::OutOfRange));
    // Review: an exchange rate of 33 places wrapped `10^(6 + 33)` in 128 bits and a cost
    // came out negative. Whatever the rate, a cost is right or out of range.
    let per_minute = terms("0.0175", "0", 6, 0);
    for places in [18, 30, 33, 36, 38] {
        let tiny = Decimal::new(1, places);
        match price(&per_minute, 6, tiny) {
            Ok(priced) => assert!(!priced.cost.is_negative(), "{places}: {priced:?}"),
            Err(error) => assert_eq!(error, CostError::OutOfRange, "{places}"),
        }
    }
}

/// The cost by the rule as written, with numbers kept as fractions of `u128`: a second,
/// independent statement of what `price` computes.
fn by_hand(
    rate: (u64, u32),
    fee: (u64, u32),
    inc: u32,
    min: u32,
    billsec: i64,
    x: (u64, u32),
) -> u128 {
    if billsec <= 0 {
        return 0;
    }
    let mut rated = 0u64;
    while rated < billsec as u64 {
        rated += u64::from(inc.max(1));
    }
    let rated = rated.max(u64::from(min));
    // cost = r/10^rs × rated/60 + f/10^fs; charged = cost × 10^xs / xu; × 10^6, rounded.
    let p = |e: u32| 10u128.pow(e);
    let num = (u128::from(rate.0) * u128::from(rated) * p(fee.1)
        + u128::from(fee.0) * 60 * p(rate.1))
        * p(x.1)
        * p(6);
    let den = p(rate.1) * p(fee.1) * 60 * u128::from(x.0);
    (num + den / 2) / den
}

/// A decimal from generated (units, scale).
fn decimal((units, scale): (u64, u32)) -> Decimal {
    Decimal::new(units.into(), scale as u8)
}

proptest! {
    #[test]
    fn price_equals_the_rule_applied_by_hand(
        rate in (0u64..100_000_000, 0u32..8),
        fee in (0u64..10_000_000, 0u32..8),
        inc in 0u32..120,
        min in 0u32..300,
        billsec in -10i64..20_000,
        x in (1u64..10_000_000, 0u32..7),
    ) {
        let terms = Terms {
            rate: decimal(rate),
            connection_fee: decimal(fee),
            increment_s: inc,
            min_time_s: min,
            first_interval_s: 0,
        };
        let priced = price(&terms, billsec, decimal(x)).unwrap();
        prop_assert!(priced.cost.scale() <= COST_PLACES);
        prop_assert_eq!(
            u128::try_from(priced.cost.rounded(COST_PLACES)).unwrap(),
            by_hand(rate, fee, inc, min, billsec, x)
        );
    }

    /// With or without a first interval (0: none).
    #[test]
    fn max_seconds_is_the_largest_second_that_fits(
        rate in (0u64..5_000, 0u32..3),
        fee in (0u64..500, 0u32..3),
        first in prop_oneof![Just(0u32), 1u32..120],
        inc in 1u32..90,
        min in 0u32..120,
        available in (0u64..20_000_000, 0u32..9),
        x in (1u64..2_000, 0u32..3),
        limit in 0u32..600,
        used in prop_oneof![Just(0u32), 1u32..300],
    ) {
        let terms = Terms {
            rate: decimal(rate),
            connection_fee: decimal(fee),
            increment_s: inc,
            min_time_s: min,
            first_interval_s: first,
        };
        let (available, x) = (decimal(available), decimal(x));
        let scanned = (1..=limit)
            .filter(|&s| price(&terms, i64::from(s), x).unwrap().cost <= available)
            .max();
        prop_assert_eq!(max_seconds(&terms, &[available], x, limit).unwrap(), scanned);
        // A call in progress asking for more: the price of `used + s` seconds.
        let scanned = (1..=limit)
            .filter(|&s| price(&terms, i64::from(used + s), x).unwrap().cost <= available)
            .max();
        prop_assert_eq!(
            max_seconds_after(&terms, &[available], x, used, limit).unwrap(),
            scanned
        );
    }
}

/// Terms with a first interval (`FIRST/NEXT`): `first` seconds, then `next`.
fn intervals(rate: &str, fee: &str, first: u32, next: u32, min_time_s: u32) -> Terms {
    Terms {
        first_interval_s: first,
        ..terms(rate, fee, next, min_time_s)
    }
}

#[test]
fn first_next_examples_worked_by_hand() {
    let rated =
        |first, next, min, billsec| intervals("1", "0", first, next, min).rated_seconds(billsec);
    // 45/10: the first 45 s are one interval, then steps of 10.
    assert_eq!(rated(45, 10, 0, 1), 45);
    assert_eq!(rated(45, 10, 0, 45), 45);
    assert_eq!(rated(45, 10, 0, 46), 55);
    assert_eq!(rated(45, 10, 0, 50), 55);
    assert_eq!(rated(45, 10, 0, 56), 65);
    // 60/60, 30/6, 1/1, 60/1.
    assert_eq!(rated(60, 60, 0, 1), 60);
    assert_eq!(rated(60, 60, 0, 61), 120);
    assert_eq!(rated(30, 6, 0, 29), 30);
    assert_eq!(rated(30, 6, 0, 31), 36);
    assert_eq!(rated(1, 1, 0, 7), 7);
    assert_eq!(rated(60, 1, 0, 61), 61);
    // Nothing for a call that did not connect, whatever the terms.
    assert_eq!(rated(45, 10, 90, 0), 0);
    assert_eq!(rated(45, 10, 90, -3), 0);
    // A minimum time above FIRST still applies; below what is billed it changes nothing.
    assert_eq!(rated(30, 6, 90, 1), 90);
    assert_eq!(rated(30, 6, 90, 91), 96);
    assert_eq!(rated(30, 6, 10, 1), 30);
    // No first interval is today's rule.
    assert_eq!(rated(0, 10, 0, 50), 50);
    assert_eq!(rated(0, 10, 0, 51), rated_seconds(51, 10, 0));
    // 50 s at 1.2/min on 45/10: 55 s = 1.1, plus a fee of 0.05.
    assert_eq!(
        cost(&intervals("1.2", "0.05", 45, 10, 0), 50, "1"),
        "1.150000"
    );
    assert_eq!(
        cost(&intervals("1.2", "0.05", 45, 10, 0), 45, "1"),
        "0.950000"
    );
    // No wrapping at the top of the range.
    assert!(rated(u32::MAX, u32::MAX, 0, i64::MAX) >= i64::MAX as u64);
}

#[test]
fn max_seconds_with_a_first_interval() {
    // 45/10 at 0.6/min = 0.01/s: 0.45 pays for the first interval (45 s), 0.54 still
    // does not reach 46 s (billed 55 s = 0.55), 0.55 does (up to 55 s).
    let deck = intervals("0.6", "0", 45, 10, 0);
    assert_eq!(max_seconds(&deck, &[d("0.44")], d("1"), 7200), Ok(None));
    assert_eq!(max_seconds(&deck, &[d("0.45")], d("1"), 7200), Ok(Some(45)));
    assert_eq!(max_seconds(&deck, &[d("0.54")], d("1"), 7200), Ok(Some(45)));
    assert_eq!(max_seconds(&deck, &[d("0.55")], d("1"), 7200), Ok(Some(55)));
}

proptest! {
    #[test]
    fn rated_seconds_with_a_first_interval_is_the_rule_by_hand(
        first in 1u32..200,
        next in 0u32..90,
        min in 0u32..400,
        billsec in -5i64..2_000,
    ) {
        let terms = intervals("1", "0", first, next, min);
        let by_hand = if billsec <= 0 {
            0
        } else {
            // Count the intervals one by one: FIRST, then NEXT (1 when 0) at a time.
            let mut rated = u64::from(first);
            while rated < billsec as u64 {
                rated += u64::from(next.max(1));
            }
            rated.max(u64::from(min))
        };
        prop_assert_eq!(terms.rated_seconds(billsec), by_hand);
        // Billing never falls as the call grows, and never bills less than the call.
        prop_assert!(terms.rated_seconds(billsec + 1) >= terms.rated_seconds(billsec));
        prop_assert!(terms.rated_seconds(billsec) >= billsec.max(0) as u64);
    }
}

proptest! {
    /// The 128-bit steps give what the 256-bit steps give whenever they fit, from tiny to
    /// 18-digit amounts at any scale, negative fees and huge calls included.
    #[test]
    fn the_narrow_steps_equal_the_wide_steps_whenever_they_fit(
        rate in (0i128..1_000_000_000_000_000_000, 0u8..=18),
        fee in (-1_000_000_000_000_000_000i128..1_000_000_000_000_000_000, 0u8..=18),
        rated_s in prop_oneof![0u64..100_000, any::<u64>()],
        x in (1i128..1_000_000_000_000_000_000, 0u8..=18),
    ) {
        let terms = Terms {
            rate: Decimal::new(rate.0, rate.1),
            connection_fee: Decimal::new(fee.0, fee.1),
            increment_s: 1,
            min_time_s: 0,
            first_interval_s: 0,
        };
        let exchange_rate = Decimal::new(x.0, x.1);
        if let Some(narrow) = charged_units_narrow(&terms, rated_s, exchange_rate) {
            prop_assert_eq!(Ok(narrow), charged_units_wide(&terms, rated_s, exchange_rate));
        }
    }
}

#[test]
fn ordinary_calls_are_priced_in_128_bits() {
    let terms = Terms {
        rate: Decimal::new(1234, 4),
        connection_fee: Decimal::new(5, 2),
        increment_s: 6,
        min_time_s: 0,
        first_interval_s: 0,
    };
    assert_eq!(
        charged_units_narrow(&terms, 3600, Decimal::new(1, 0)),
        Some(7_454_000)
    );
}

/// Amounts whose sum passes 128 bits midway, or whose widening to the finest scale does, are
/// compared in 256 bits, and the answer is the one a scan gives; so are amounts at 18 places,
/// whose charged units need widening, in 128 bits.
#[test]
fn max_seconds_of_amounts_past_128_bits() {
    let terms = terms("0.6", "0.01", 6, 0);
    let half = i128::MAX / 2 + 1;
    let five = 5 * 10i128.pow(18);
    let cases = [
        // Sum: half + half is 2^127, past i128::MAX; then it comes back to 5.
        vec![
            Decimal::new(half, 18),
            Decimal::new(half, 18),
            Decimal::new(-half, 18),
            Decimal::new(-half + five, 18),
        ],
        // 10^-38 sets the scale to 38: 5 widened to it is 5 × 10^38, past i128::MAX.
        vec![Decimal::new(1, 38), d("5"), Decimal::new(-1, 38)],
        vec![Decimal::new(five, 18)],
        vec![d("5")],
    ];
    let scan = |available: Decimal| {
        (1..=600)
            .filter(|&s| {
                price(&terms, i64::from(s), Decimal::new(1, 0))
                    .unwrap()
                    .cost
                    <= available
            })
            .max()
    };
    for amounts in cases {
        assert_eq!(
            max_seconds(&terms, &amounts, Decimal::new(1, 0), 600).unwrap(),
            scan(d("5")),
            "{amounts:?}"
        );
    }
    assert_eq!(scan(d("5")), Some(498));
}
