use super::*;
use crate::lookup::tests::build;
use crate::time::Timestamp;
use proptest::prelude::*;

fn demo_rules() -> NumberRules {
    NumberRules {
        international_prefixes: vec!["00".into(), "011".into()],
        national_prefix: Some("0".into()),
        country_code: Some("370".into()),
        min_digits: 5,
    }
}

fn normalized(rules: &NumberRules, number: &str) -> Option<Vec<u8>> {
    let mut buffer = [0u8; MAX_PREFIX_DIGITS];
    rules
        .normalize(number.as_bytes(), &mut buffer)
        .map(<[u8]>::to_vec)
}

/// Issue 18: `0037061234567`, `01137061234567` and `+37061234567` are one destination.
#[test]
fn the_international_forms_are_one_number() {
    let rules = demo_rules();
    for number in [
        "0037061234567",
        "01137061234567",
        "+37061234567",
        " +370 (612) 34-567",
        "061234567",
        "37061234567",
    ] {
        assert_eq!(
            normalized(&rules, number).as_deref(),
            Some(&b"37061234567"[..]),
            "{number}"
        );
    }
}

/// Issue 18: the internal extension `3706` was priced as Lithuania Mobile.
#[test]
fn a_short_number_is_not_rated() {
    let rules = demo_rules();
    assert_eq!(normalized(&rules, "3706"), None);
    assert_eq!(normalized(&rules, "+37-06"), None);
    assert_eq!(normalized(&rules, "37061").as_deref(), Some(&b"37061"[..]));
    // The international prefix is not counted.
    assert_eq!(normalized(&rules, "003706"), None);
}

/// The national prefix is replaced only when the country code is set too; `+` wins.
#[test]
fn the_national_prefix_needs_a_country_code() {
    let rules = NumberRules {
        national_prefix: Some("0".into()),
        ..NumberRules::default()
    };
    assert_eq!(
        normalized(&rules, "061234567").as_deref(),
        Some(&b"061234567"[..])
    );
    let rules = NumberRules {
        min_digits: 0,
        ..demo_rules()
    };
    assert_eq!(normalized(&rules, "+0612").as_deref(), Some(&b"0612"[..]));
    // The first matching international prefix, then no national rule.
    assert_eq!(normalized(&rules, "00061").as_deref(), Some(&b"061"[..]));
    assert_eq!(
        normalized(&rules, "0006123").as_deref(),
        Some(&b"06123"[..])
    );
}

/// The first 20 digits are kept after the rules: a cut prefix does not shorten the number.
#[test]
fn twenty_digits_are_kept_after_the_rules() {
    let rules = demo_rules();
    let long = format!("00{}", "1".repeat(30));
    assert_eq!(normalized(&rules, &long), Some(vec![b'1'; 20]));
    let national = format!("0{}", "2".repeat(30));
    let mut expected = b"370".to_vec();
    expected.extend(std::iter::repeat_n(b'2', 17));
    assert_eq!(normalized(&rules, &national), Some(expected));
    let huge = "9".repeat(100);
    assert_eq!(normalized(&rules, &huge), Some(vec![b'9'; 20]));
}

/// The defaults are today's rule, [`crate::lookup::dialed_digits`], byte for byte.
#[test]
fn the_defaults_change_nothing() {
    let rules = NumberRules::default();
    assert!(rules.is_default());
    for number in [
        "",
        "+",
        "0037061234567",
        "+370 (612) 34-567",
        "3706",
        "abc",
        "0".repeat(40).as_str(),
    ] {
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        let expected = crate::lookup::dialed_digits(number.as_bytes(), &mut buffer).to_vec();
        assert_eq!(normalized(&rules, number), Some(expected), "{number:?}");
    }
}

/// A number written in one of the forms a user dials it in.
fn dialled(number: &str, form: u8, separators: &[(usize, char)]) -> String {
    let written = match form % 4 {
        0 => format!("+{number}"),
        1 => format!("00{number}"),
        2 => format!("011{number}"),
        // National: only numbers of the country, written with its trunk prefix.
        _ => match number.strip_prefix("370") {
            Some(rest) => format!("0{rest}"),
            None => format!("+{number}"),
        },
    };
    let mut out = String::new();
    for (i, c) in written.chars().enumerate() {
        out.push(c);
        for &(at, separator) in separators {
            if at == i && i > 0 {
                out.push(separator);
            }
        }
    }
    out
}

proptest! {
    /// Normalisation then the longest-prefix match equals a naive scan of the prefixes over
    /// the normalised number, and every form of a number normalises alike.
    #[test]
    fn normalise_then_match_is_a_naive_scan(
        prefixes in prop::collection::btree_set("(370|1|4[0-9])[0-9]{0,5}", 1..30),
        // A national number never starts with a trunk or international prefix.
        number in "(370[2-9]|1|4[0-9])[0-9]{2,14}",
        form in 0u8..4,
        separators in prop::collection::vec((0usize..24, prop::sample::select(vec![' ', '-', '(', ')', '.'])), 0..4),
        min_digits in 0usize..8,
    ) {
        let rules = NumberRules { min_digits, ..demo_rules() };
        let written = dialled(&number, form, &separators);
        let got = normalized(&rules, &written);
        let expected: Vec<u8> = number.bytes().take(MAX_PREFIX_DIGITS).collect();
        if expected.len() < min_digits {
            prop_assert_eq!(got, None);
            return Ok(());
        }
        prop_assert_eq!(got.as_deref(), Some(&expected[..]), "{}", written);
        let rows: Vec<_> = prefixes.iter().map(|p| (p.clone(), 1, None)).collect();
        let artifact = build(&[rows]);
        let found = artifact
            .longest_match(0, &expected, Timestamp(0))
            .map(|m| usize::from(m.prefix_len));
        let naive = prefixes
            .iter()
            .filter(|p| expected.starts_with(p.as_bytes()))
            .map(String::len)
            .max();
        prop_assert_eq!(found, naive);
    }
}

proptest! {
    /// The slice steps for numbers of digits only give what the digit-by-digit steps give.
    #[test]
    fn plain_numbers_normalise_as_the_general_steps_do(
        number in "[0-9]{0,30}",
        international in proptest::collection::vec("[0-9]{0,3}", 0..3),
        national in proptest::option::of("[0-9]{0,2}"),
        country in proptest::option::of("[0-9]{0,4}"),
        min_digits in 0usize..8,
    ) {
        let rules = NumberRules { international_prefixes: international, national_prefix: national, country_code: country, min_digits };
        let (mut plain, mut general) = ([0u8; MAX_PREFIX_DIGITS], [0u8; MAX_PREFIX_DIGITS]);
        let len = rules.normalize_plain(number.as_bytes(), &mut plain).unwrap();
        let expected = rules.normalize_general(number.as_bytes(), &mut general);
        let got = (len >= min_digits).then_some(&plain[..len]);
        prop_assert_eq!(got, expected);
    }
}

/// The word-at-a-time digit test says what the byte-at-a-time one says: every byte value at
/// every place of numbers up to 20 bytes long.
#[test]
fn all_digits_agrees_with_the_byte_test() {
    for len in 0..=20usize {
        for place in 0..len.max(1) {
            for byte in 0..=255u8 {
                let mut number = vec![b'7'; len];
                if let Some(at) = number.get_mut(place) {
                    *at = byte;
                }
                assert_eq!(
                    all_digits(&number),
                    number.iter().all(u8::is_ascii_digit),
                    "{number:?}"
                );
            }
        }
    }
}
