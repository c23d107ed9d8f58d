use super::*;
use proptest::strategy::Strategy as _;

#[test]
fn conversions_multiply_divide_and_round_once() {
    let d = |text: &str| Decimal::parse(text, true).unwrap();
    let convert = |amount: &str, from: &str, to: &str| {
        d(amount)
            .converted(d(from), d(to), 6)
            .map(|c| c.to_string())
    };
    // 0.0092 EUR in USD (EUR at 0.92 a dollar) is 0.01; in GBP (0.79) 0.0079.
    assert_eq!(convert("0.0092", "0.92", "1").as_deref(), Some("0.01"));
    assert_eq!(convert("0.0092", "0.92", "0.79").as_deref(), Some("0.0079"));
    // 1/3 of a unit: rounded at the sixth place, half away from zero.
    assert_eq!(convert("1", "3", "1").as_deref(), Some("0.333333"));
    assert_eq!(convert("2", "3", "1").as_deref(), Some("0.666667"));
    assert_eq!(convert("-2", "3", "1").as_deref(), Some("-0.666667"));
    assert_eq!(convert("0.0000005", "1", "1").as_deref(), Some("0.000001"));
    assert_eq!(convert("0.155", "151.2", "151.2").as_deref(), Some("0.155"));
    assert_eq!(convert("1", "0", "1"), None);
    assert_eq!(
        convert("99999999999999999999999999999999", "0.000001", "1"),
        None
    );
    // Past 18 digits, exactly: 10^20 in EUR at 0.92.
    assert_eq!(
        convert("100000000000000000000.0840336134454", "0.92", "1").as_deref(),
        Some("108695652173913043478.35221")
    );
}

#[test]
fn differences_are_exact_and_trimmed() {
    let d = |text: &str| Decimal::parse(text, true).unwrap();
    let diff = |a: &str, b: &str| {
        let mut out = Vec::new();
        write_difference(&mut out, d(a), d(b));
        String::from_utf8(out).unwrap()
    };
    assert_eq!(diff("0.155", "0.088"), "0.067");
    assert_eq!(diff("0.155", "0.005"), "0.15");
    assert_eq!(diff("0.01", "0.02"), "-0.01");
    assert_eq!(diff("35", "35"), "0");
    assert_eq!(
        diff("999999999999999999", "-999999999999999999"),
        "1999999999999999998"
    );
}

#[test]
fn sums_are_exact_and_refused_beyond_thirty_eight_digits() {
    let d = |text: &str| Decimal::parse(text, true).unwrap();
    assert_eq!(d("60").checked_add(d("-0.541667")), Some(d("59.458333")));
    assert_eq!(
        d("10.0840336134454").checked_add(d("0.5")),
        Some(d("10.5840336134454"))
    );
    assert_eq!(d("0.1").checked_add(d("0.2")), Some(d("0.3")));
    assert_eq!(d("1.5").checked_add(d("-1.5")), Some(Decimal::ZERO));
    // What 18 digits refused once: a balance of 10^20 kept to 13 places.
    assert_eq!(
        d("999999999999999999").checked_add(d("1")),
        Some(d("1000000000000000000"))
    );
    assert_eq!(
        d("100000000000000000000.0840336134454").checked_add(d("-0.541667")),
        Some(d("99999999999999999999.5423666134454"))
    );
    let nines = "9".repeat(38);
    assert_eq!(d(&nines).checked_add(d("1")), None);
    assert_eq!(
        d(&nines).checked_add(d("-1")),
        Some(d(&format!("{}8", "9".repeat(37))))
    );
    assert_eq!(
        d("9999999999999999999999999999.9999999999").checked_add(d("0.0000000001")),
        None
    );
    assert_eq!(d("-2.5").negated(), d("2.5"));
    assert!(d("0.000").is_zero() && !d("0.001").is_zero());
}

fn ruby(x: f64) -> String {
    let mut out = Vec::new();
    write_ruby_float(&mut out, x);
    String::from_utf8(out).unwrap()
}

fn fixed(text: &str, places: u8) -> String {
    let mut out = Vec::new();
    write_fixed(&mut out, Decimal::parse(text, true).unwrap(), places);
    String::from_utf8(out).unwrap()
}

#[test]
fn ruby_float_matches_documented_examples() {
    assert_eq!(ruby(35.0), "35.0");
    assert_eq!(ruby(0.987), "0.987");
    assert_eq!(ruby(20.0), "20.0");
    assert_eq!(ruby(10.0840336134454), "10.0840336134454");
    assert_eq!(ruby(0.00001), "1.0e-05");
    assert_eq!(ruby(1e16), "1.0e+16");
    assert_eq!(ruby(0.0), "0.0");
}

#[test]
fn ruby_float_switches_to_exponent_exactly_at_the_bounds() {
    assert_eq!(ruby(0.0001), "0.0001");
    assert_eq!(ruby(0.00012), "0.00012");
    assert_eq!(ruby(0.000099), "9.9e-05");
    assert_eq!(ruby(9999999999999998.0), "9999999999999998.0");
    assert_eq!(ruby(1234567.0), "1234567.0");
    assert_eq!(ruby(1.5e-7), "1.5e-07");
    assert_eq!(ruby(2.5e20), "2.5e+20");
    assert_eq!(ruby(1e100), "1.0e+100");
    assert_eq!(ruby(-0.5), "-0.5");
    assert_eq!(ruby(123.456), "123.456");
}

#[test]
fn decimal_parse_is_exact_and_canonical() {
    let d = Decimal::parse("0.10", false).unwrap();
    assert_eq!((d.units(), d.scale()), (1, 1));
    let d = Decimal::parse("007.500", false).unwrap();
    assert_eq!((d.units(), d.scale()), (75, 1));
    assert_eq!(Decimal::parse("-12.34", true).unwrap().units(), -1234);
    assert_eq!(
        Decimal::parse("0.000000000000000001", false)
            .unwrap()
            .scale(),
        18
    );
}

#[test]
fn decimal_parse_refuses_what_the_spec_excludes() {
    for bad in [
        "", "abc", "1e5", "1,000", ".5", "5.", "+1", "1.2.3", " 1", "--1", "0x10",
    ] {
        assert!(Decimal::parse(bad, true).is_err(), "{bad:?} was accepted");
    }
    assert_eq!(Decimal::parse("-1", false), Err(DecimalError::Negative));
    assert_eq!(Decimal::parse("-0", false), Err(DecimalError::Negative));
    assert_eq!(
        Decimal::parse("123456789012345678901234567890123456789", false),
        Err(DecimalError::TooPrecise)
    );
    assert_eq!(
        Decimal::parse(&format!("0.{}1", "0".repeat(38)), false),
        Err(DecimalError::TooPrecise)
    );
    assert_eq!(Decimal::parse(&"9".repeat(38), false).unwrap().digits(), 38);
}

#[test]
fn to_f64_is_correctly_rounded() {
    assert_eq!(Decimal::parse("0.1", false).unwrap().to_f64(), 0.1);
    assert_eq!(
        Decimal::parse("10.0840336134454", false).unwrap().to_f64(),
        10.0840336134454
    );
    assert_eq!(Decimal::parse("-3", true).unwrap().to_f64(), -3.0);
}

#[test]
fn fixed_places_round_half_away_from_zero() {
    assert_eq!(fixed("60", 4), "60.0000");
    assert_eq!(fixed("0.00005", 4), "0.0001");
    assert_eq!(fixed("-0.00005", 4), "-0.0001");
    assert_eq!(fixed("1.23449", 4), "1.2345");
    assert_eq!(fixed("-349282.175", 2), "-349282.18");
    assert_eq!(fixed("0.004", 2), "0.00");
    assert_eq!(fixed("12.5", 0), "13");
}

#[test]
fn conversion_multiplies_exactly_then_rounds_once() {
    let amount = Decimal::parse("-12.34", true).unwrap();
    let rate = Decimal::parse("0.79", false).unwrap();
    let mut out = Vec::new();
    write_scaled(&mut out, amount.mul_rounded(rate, 4), 4);
    assert_eq!(out, b"-9.7486");
}

proptest::proptest! {
    #[test]
    fn decimal_display_parses_back_to_itself(units in -999_999_999_999i64..999_999_999_999, scale in 0u8..12) {
        let d = Decimal::new(units.into(), scale);
        proptest::prop_assert_eq!(Decimal::parse(&d.to_string(), true).unwrap(), d);
    }

    #[test]
    fn ruby_float_fast_path_equals_the_general_layout(x in 1e-4f64..1e16, negative: bool) {
        let x = if negative { -x } else { x };
        let mut general = Vec::new();
        write_ruby_float_relaid(&mut general, x);
        proptest::prop_assert_eq!(ruby(x).into_bytes(), general);
    }

    #[test]
    fn ruby_float_round_trips(x in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL) {
        let text = ruby(x);
        let back: f64 = text.replace("e+", "e").parse().unwrap();
        proptest::prop_assert_eq!(back, x);
        proptest::prop_assert!(text.contains('.'));
    }
}

/// Halves round away from zero, in 64 bits and past them.
#[test]
fn rounded_division_takes_halves_away_from_zero() {
    for (numerator, denominator, expected) in [
        (5i128, 2i128, 3i128),
        (-5, 2, -3),
        (150, 100, 2),
        (-149, 100, -1),
        (i128::from(i64::MAX), 2, (i128::from(i64::MAX) + 1) / 2),
        ((1i128 << 100) + (1 << 40), 1 << 41, (1 << 59) + 1),
        (-((1i128 << 100) + (1 << 40)), 1 << 41, -((1 << 59) + 1)),
    ] {
        assert_eq!(
            divide_rounded_narrow(numerator, denominator),
            expected,
            "{numerator} / {denominator}"
        );
    }
}

proptest::proptest! {
    /// The 64-bit shortcut of a rounded division gives the 256-bit division's answer, on
    /// both sides of the 64-bit limits.
    #[test]
    fn narrow_rounded_division_equals_the_wide_one(
        numerator in proptest::prop_oneof![
            proptest::num::i128::ANY,
            -(1i128 << 64)..(1i128 << 64),
            i128::from(i64::MIN) - 5..i128::from(i64::MIN) + 5,
            i128::from(i64::MAX) - 5..i128::from(i64::MAX) + 5,
            -1_000_000i128..1_000_000,
            -100i128..100,
        ],
        denominator in proptest::prop_oneof![
            1i128..1_000,
            1i128..8,
            1i128..i128::MAX,
            i128::from(i64::MAX) - 2..i128::from(i64::MAX) + 2,
        ],
    ) {
        let wide = divide_rounded(Wide::from(numerator), Wide::from(denominator));
        proptest::prop_assert_eq!(Wide::from(divide_rounded_narrow(numerator, denominator)), wide);
    }

    /// A decimal drops its trailing zeros the same way whether its units fit 64 bits or not,
    /// and is written as the same digits.
    #[test]
    fn canonical_form_and_digits_do_not_depend_on_the_width(
        units in proptest::prop_oneof![
            proptest::num::i64::ANY.prop_map(i128::from),
            proptest::num::i128::ANY.prop_map(|u| u / 10),
        ],
        zeros in 0u32..6,
        scale in 0u8..12,
    ) {
        let scaled = units.checked_mul(10i128.pow(zeros));
        proptest::prop_assume!(scaled.is_some() && u32::from(scale) + zeros <= MAX_DIGITS);
        let d = Decimal::new(scaled.unwrap_or_default(), scale + zeros as u8);
        let mut reference = (units, scale);
        while reference.1 > 0 && reference.0 % 10 == 0 {
            reference = (reference.0 / 10, reference.1 - 1);
        }
        proptest::prop_assert_eq!((d.units(), d.scale()), reference);
        let mut written = Vec::new();
        write_exact(&mut written, d);
        let (units, scale) = (reference.0, usize::from(reference.1));
        let mut digits = format!("{:0>width$}", units.unsigned_abs(), width = scale + 1);
        if scale > 0 {
            digits.insert(digits.len() - scale, '.');
        }
        let sign = if units < 0 { "-" } else { "" };
        proptest::prop_assert_eq!(String::from_utf8(written).unwrap(), format!("{sign}{digits}"));
    }
}

#[test]
fn to_f64_without_text_equals_the_correctly_rounded_parse() {
    let edge = 1i128 << 53;
    let mut cases = vec![
        (987, 3),
        (1, 5),
        (12_345, 6),
        (10_0840336134454, 13),
        (i128::from(i64::MAX), 18),
        (i128::from(i64::MAX), 0),
        (0, 0),
        (123_456_789_012_345_678, 18),
        (i128::MAX, 38),
        (i128::MIN + 1, 0),
    ];
    // Both sides of the fast path's limits: units ±2^53 (exact) and ±(2^53 + 1) (not),
    // scale 22 (the last exact power of ten) and 23.
    for units in [edge, edge + 1, -edge, -edge - 1, edge - 1, 3, -3] {
        for scale in [0, 1, 18, 22, 23] {
            cases.push((units, scale));
        }
    }
    for (units, scale) in cases {
        let value = Decimal::new(units, scale);
        assert_eq!(
            value.to_f64().to_bits(),
            value.to_f64_through_text().to_bits(),
            "{value}"
        );
    }
}

proptest::proptest! {
    /// Units drawn half the time where the fast path takes them (at most 2^53 either way).
    #[test]
    fn to_f64_equals_the_parse_of_the_text(
        units in proptest::prop_oneof![-(1i64 << 53)..=(1i64 << 53), proptest::prelude::any::<i64>()],
        scale in 0u8..=24,
    ) {
        let value = Decimal::new(units.into(), scale);
        proptest::prop_assert_eq!(value.to_f64().to_bits(), value.to_f64_through_text().to_bits());
    }

    #[test]
    fn to_f64_equals_the_parse_of_the_text_for_short_decimals(units in 0i64..10_000_000, scale in 0u8..=8) {
        let value = Decimal::new(units.into(), scale);
        proptest::prop_assert_eq!(value.to_f64().to_bits(), value.to_f64_through_text().to_bits());
    }
}
