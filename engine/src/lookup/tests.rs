use super::*;
use crate::artifact::ArtifactBuilder;
use crate::input::ErrorList;
use crate::money::Decimal;
use crate::tariff::TariffRow;
use proptest::prelude::*;

/// A row for tests: prefix, rate units (scale 4), optional effective day.
pub(super) type Spec = (String, i64, Option<i64>);

pub(super) fn build(tariffs: &[Vec<Spec>]) -> Artifact {
    Artifact::from_bytes(build_bytes(tariffs)).unwrap()
}

/// The artifact's bytes, as `build` loads them.
pub(super) fn build_bytes(tariffs: &[Vec<Spec>]) -> Vec<u8> {
    let mut builder = ArtifactBuilder::new();
    for (t, rows) in tariffs.iter().enumerate() {
        let id = builder
            .add_tariff(&format!("t{t}"), "USD", "t.csv", 1)
            .unwrap();
        for (line, (prefix, rate, day)) in rows.iter().enumerate() {
            let destination = format!("D{prefix}");
            builder.add_row(
                id,
                &TariffRow {
                    line: line as u64 + 2,
                    prefix: prefix.as_bytes(),
                    rate: Decimal::new((*rate).into(), 4),
                    connection_fee: Decimal::ZERO,
                    increment_s: 1,
                    min_time_s: 0,
                    first_interval_s: 0,
                    destination: &destination,
                    effective_from: day.map(|d| Timestamp(d * 86_400)),
                },
            );
        }
    }
    let mut errors = ErrorList::new();
    let (bytes, _) = builder.build(&mut errors).expect("no duplicates");
    bytes
}

/// The reference answer: scan every row, longest applicable prefix, newest version.
fn naive(rows: &[Spec], number: &str, day: i64) -> Option<(usize, i64)> {
    rows.iter()
        .filter(|(p, _, d)| number.starts_with(p.as_str()) && d.is_none_or(|d| d <= day))
        .max_by_key(|(p, _, d)| (p.len(), d.unwrap_or(i64::MIN)))
        .map(|(p, r, _)| (p.len(), *r))
}

fn answer(artifact: &Artifact, number: &str, day: i64) -> Option<(usize, i64)> {
    let found = artifact.longest_match(0, number.as_bytes(), Timestamp(day * 86_400))?;
    let record = artifact.record(found.record)?;
    assert_eq!(
        record.destination,
        format!("D{}", &number[..found.prefix_len as usize]).as_bytes()
    );
    Some((
        usize::from(found.prefix_len),
        i64::try_from(record.rate.rounded(4)).unwrap(),
    ))
}

fn spec(prefix: &str, rate: i64, day: Option<i64>) -> Spec {
    (prefix.to_owned(), rate, day)
}

#[test]
fn longest_prefix_wins_and_misses_fall_back() {
    let a = build(&[vec![
        spec("3", 1, None),
        spec("370", 2, None),
        spec("37061", 3, None),
    ]]);
    assert_eq!(answer(&a, "37061234", 0), Some((5, 3)));
    assert_eq!(answer(&a, "3706", 0), Some((3, 2)));
    assert_eq!(answer(&a, "39", 0), Some((1, 1)));
    assert_eq!(answer(&a, "4", 0), None);
    assert_eq!(answer(&a, "", 0), None);
}

#[test]
fn a_future_only_prefix_yields_to_a_shorter_one() {
    let a = build(&[vec![spec("44", 1, None), spec("447", 9, Some(100))]]);
    assert_eq!(answer(&a, "4479", 99), Some((2, 1)));
    assert_eq!(answer(&a, "4479", 100), Some((3, 9)));
}

#[test]
fn the_newest_version_not_after_the_time_applies() {
    let a = build(&[vec![
        spec("1", 5, None),
        spec("1", 6, Some(10)),
        spec("1", 7, Some(20)),
    ]]);
    assert_eq!(answer(&a, "1", 9), Some((1, 5)));
    assert_eq!(answer(&a, "1", 10), Some((1, 6)));
    assert_eq!(answer(&a, "1", 25), Some((1, 7)));
}

#[test]
fn exact_match_needs_the_whole_prefix() {
    let a = build(&[vec![spec("370", 2, None)]]);
    let at = Timestamp(0);
    assert!(a.exact_match(0, b"370", at).is_some());
    assert!(a.exact_match(0, b"37", at).is_none());
    assert!(a.exact_match(0, b"3701", at).is_none());
    assert!(a.exact_match(0, b"", at).is_none());
}

#[test]
fn tariffs_do_not_see_each_others_prefixes() {
    let a = build(&[vec![spec("1", 1, None)], vec![spec("2", 2, None)]]);
    assert!(a.longest_match(0, b"2", Timestamp(0)).is_none());
    assert!(a.longest_match(1, b"2", Timestamp(0)).is_some());
    assert!(a.longest_match(2, b"2", Timestamp(0)).is_none());
}

#[test]
fn dense_table_answers_like_the_plain_walk() {
    // Enough prefixes to get a dense table, with short dated ones under it.
    let mut rows = vec![
        spec("7", 1, None),
        spec("79", 2, Some(50)),
        spec("791", 3, Some(60)),
    ];
    for i in 0..3000 {
        rows.push(spec(&format!("79{:04}", i * 3), 10 + i, None));
    }
    let a = build(std::slice::from_ref(&rows));
    assert!(
        a.dense_table_bytes() > 0,
        "the tariff is large enough for a table"
    );
    for number in ["7912345", "790003", "7", "79", "7999999", "8", "7900031"] {
        for day in [0, 55, 70] {
            assert_eq!(
                answer(&a, number, day),
                naive(&rows, number, day),
                "{number} at {day}"
            );
        }
    }
}

fn deck() -> impl Strategy<Value = Vec<Spec>> {
    proptest::collection::btree_map(
        ("[1-3][0-3]{0,5}", proptest::option::weighted(0.3, 0i64..4)),
        1i64..100_000,
        1..300,
    )
    .prop_map(|rows| rows.into_iter().map(|((p, d), r)| (p, r, d)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(48)))]
    #[test]
    fn longest_match_with_a_dense_table_equals_a_naive_scan(
        extra in deck(),
        numbers in proptest::collection::vec("[1-5][0-5]{0,9}", 1..60),
        day in 0i64..5,
    ) {
        // 2,500 undated prefixes under 5 make the tariff large enough for a table; the
        // random rows (dated or not, short or long) sit beside and under them.
        let mut rows: Vec<Spec> = (0..2_500).map(|i| (format!("5{i:04}"), 7, None)).collect();
        rows.extend(extra.into_iter().filter(|(p, _, _)| !p.starts_with('5')));
        let artifact = build(std::slice::from_ref(&rows));
        prop_assert!(artifact.dense_table_bytes() > 0);
        for number in &numbers {
            prop_assert_eq!(answer(&artifact, number, day), naive(&rows, number, day), "{}", number);
        }
    }
}

/// Everything a walk reports: each final state (length, value), then where it stopped.
type Trace = (Vec<(usize, u64)>, Option<(usize, u64)>);

fn trace(artifact: &Artifact, digits: &[u8], crate_walk: bool) -> Trace {
    let (root, out) = artifact.tariffs()[0].root.unwrap();
    let mut finals = Vec::new();
    let reached = if crate_walk {
        artifact.walk_with_crate(root, out, 0, digits, |len, value| finals.push((len, value)))
    } else {
        artifact.walk(root, out, 0, digits, |len, value| finals.push((len, value)))
    };
    (finals, reached)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::proptest_cases(96)))]
    #[test]
    fn the_digit_reader_walks_exactly_like_the_fst_crate(
        rows in proptest::collection::btree_map(
            ("[0-9]{1,9}", proptest::option::weighted(0.2, 0i64..3)),
            1i64..5_000_000,
            1..600,
        ),
        numbers in proptest::collection::vec("[0-9]{0,12}", 1..50),
    ) {
        let rows: Vec<Spec> = rows.into_iter().map(|((p, d), r)| (p, r, d)).collect();
        let artifact = build(std::slice::from_ref(&rows));
        for number in numbers.iter().chain(rows.iter().map(|r| &r.0)) {
            prop_assert_eq!(
                trace(&artifact, number.as_bytes(), false),
                trace(&artifact, number.as_bytes(), true),
                "{}", number
            );
        }
    }
}

proptest! {
    #[test]
    fn longest_match_equals_a_naive_scan(
        rows in deck(),
        numbers in proptest::collection::vec("[0-4]{0,9}", 1..40),
        day in 0i64..5,
    ) {
        let artifact = build(std::slice::from_ref(&rows));
        for number in &numbers {
            prop_assert_eq!(answer(&artifact, number, day), naive(&rows, number, day), "{}", number);
        }
    }
}
