//! `tariff-diff` against a per-prefix comparison written here: random old and new decks
//! (dated rows, fees, increments); every prefix either deck prices at the time must appear
//! once, in prefix order, with the status, rates, change and notice worked out by hand from
//! the two decks' rows. And the binary's contract: the demo's golden output, usage errors
//! exit 2, unusable inputs exit 1.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{compile_decks, day, deck, in_force, milli, Row};
use proptest::prelude::*;
use ratel_engine::diff::{Decks, Notice};
use ratel_engine::lookup::Slice;
use ratel_engine::time::Timestamp;
use ratel_tools::pipeline;
use ratel_tools::tariff_diff::DiffJob;

/// The row `tariff-diff` must write for `prefix`, worked out from the rows alone.
fn by_hand(
    old: &[Row],
    new: &[Row],
    prefix: &str,
    at: Timestamp,
    notice: Notice,
) -> Option<String> {
    let (o, n) = (in_force(old, prefix, at), in_force(new, prefix, at));
    let terms = |r: &Row| (r.2, r.3, r.4);
    let status = match (o, n) {
        (None, None) => return None,
        (None, Some(_)) => "new",
        (Some(_), None) => "closed",
        (Some(o), Some(n)) if n.1 > o.1 => "increased",
        (Some(o), Some(n)) if n.1 < o.1 => "decreased",
        (Some(o), Some(n)) if terms(o) != terms(n) => "terms_changed",
        _ => "unchanged",
    };
    let rate = |r: Option<&Row>| r.map(|r| milli(r.1).to_string()).unwrap_or_default();
    // Rates are thousandths: the change in hundredths of a percent, rounded half up (it is
    // never negative before the sign).
    let pct = match (o, n) {
        (Some(o), Some(n)) if o.1 > 0 => {
            let (old, new) = (i128::from(o.1), i128::from(n.1));
            let scaled = ((new - old).abs() * 10_000 * 2 + old) / (2 * old);
            let sign = if new < old && scaled > 0 { "-" } else { "" };
            format!("{sign}{}.{:02}", scaled / 100, scaled % 100)
        }
        _ => String::new(),
    };
    let short = status == "increased"
        && n.unwrap().5.map_or(notice.received, day).0 - notice.received.0
            < i64::from(notice.days) * 86_400;
    Some(format!(
        "{prefix},D{prefix},{status},{},{},{pct},{}",
        rate(o),
        rate(n),
        if short { "short" } else { "" }
    ))
}

/// A random deck whose values come from few choices, so that two decks often agree on a
/// prefix's rate and differ in one term only.
fn close_deck() -> impl Strategy<Value = Vec<Row>> {
    deck().prop_map(|rows| {
        rows.into_iter()
            .map(|(prefix, rate, fee, inc, min, date)| {
                (prefix, rate % 4, fee % 2, 1 + inc % 2, min % 2, date)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_prefix_is_compared_as_a_per_prefix_comparison_says(
        (old, new) in prop_oneof![(deck(), deck()), (close_deck(), close_deck())],
        at in 0u8..25,
        received in 0u8..25,
        days in 0u32..10,
        threads in 1usize..4,
    ) {
        let old_artifact = compile_decks(&[("t", "USD", &old)]);
        let new_artifact = compile_decks(&[("other", "EUR", &[]), ("t", "USD", &new)]);
        let (at, notice) = (day(at), Notice { days, received: day(received) });
        let job = DiffJob::new(
            Decks {
                old: &old_artifact,
                old_tariff: 0,
                new: &new_artifact,
                new_tariff: 1,
                at,
            },
            Some(notice),
        );
        let mut out = Vec::new();
        pipeline::run_items(&job, Slice::all(), &mut out, job.header().as_bytes(), std::io::sink(), threads).unwrap();
        let prefixes: BTreeSet<&str> = old.iter().chain(&new).map(|r| r.0.as_str()).collect();
        let mut expected = String::from("prefix,destination,status,old_rate,new_rate,change_pct,notice\n");
        for prefix in prefixes {
            if let Some(row) = by_hand(&old, &new, prefix, at, notice) {
                expected.push_str(&row);
                expected.push('\n');
            }
        }
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected.clone());
        // The summary counts each status of the rows, and the short notices.
        let count = |needle: &str| expected.lines().filter(|row| row.contains(needle)).count();
        let summary = format!(
            "{} prefixes: {} new, {} closed, {} increased ({} on short notice), {} decreased, {} terms_changed, {} unchanged",
            expected.lines().count() - 1,
            count(",new,"),
            count(",closed,"),
            count(",increased,"),
            count(",short"),
            count(",decreased,"),
            count(",terms_changed,"),
            count(",unchanged,"),
        );
        prop_assert_eq!(job.summary(), summary);
    }
}

fn tariff_diff(args: &[&str]) -> (i32, String, String) {
    common::run(env!("CARGO_BIN_EXE_tariff-diff"), args, "")
}

/// The demo artifact and the demo's next retail deck, compiled.
fn demo_decks(dir: &std::path::Path) -> (String, String) {
    let old = ratel_engine::testing::write_demo_data(dir);
    let next = dir.join("next.ratel");
    let deck = ratel_engine::testing::repo().join("fixtures/demo/next/retail.csv");
    common::tariff_compile(&[std::ffi::OsStr::new("-o"), next.as_ref(), deck.as_ref()]);
    (
        old.to_str().unwrap().to_owned(),
        next.to_str().unwrap().to_owned(),
    )
}

#[test]
fn the_demo_decks_diff_as_the_golden_file_says() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = demo_decks(dir.path());
    let args = [
        &old[..],
        &new,
        "-t",
        "retail",
        "--at",
        "2027-01-01",
        "--notice-days",
        "7",
        "--received",
        "2026-11-26",
    ];
    let (code, out, err) = tariff_diff(&args);
    assert_eq!(code, 0, "{err}");
    let golden = ratel_engine::testing::repo().join("fixtures/golden/tariff-diff.csv");
    assert_eq!(out, std::fs::read_to_string(golden).unwrap());
    assert_eq!(
        err,
        "tariff-diff: 16 prefixes: 1 new, 1 closed, 3 increased (2 on short notice), 2 decreased, 1 terms_changed, 8 unchanged\n"
    );
}

#[test]
fn usage_errors_exit_two_and_unusable_inputs_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = demo_decks(dir.path());
    for args in [
        &[&old[..], &new][..],
        &[&old, "-t", "retail"],
        &[&old, &new, "-t", "retail", "--at", "soon"],
        &[&old, &new, "-t", "retail", "--received", "2026-11-26"],
        &[&old, &new, "-t", "retail", "--notice-days", "-1"],
        &[
            &old,
            &new,
            "-t",
            "retail",
            "--notice-days",
            "7",
            "--received",
            "someday",
        ],
    ] {
        let (code, _, err) = tariff_diff(args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    let (code, out, err) = tariff_diff(&[&old, &new, "-t", "wholesale"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("tariff \"wholesale\" is not in"), "{err}");
    let missing = dir.path().join("missing.ratel");
    let (code, _, err) = tariff_diff(&[&old, missing.to_str().unwrap(), "-t", "retail"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("missing.ratel"), "{err}");
    // The same tariff in another currency is refused, not compared.
    let eur = dir.path().join("eur.ratel");
    let deck = ratel_engine::testing::repo().join("fixtures/demo/next/retail.csv");
    common::tariff_compile(&[
        std::ffi::OsStr::new("--currency"),
        "EUR".as_ref(),
        "-o".as_ref(),
        eur.as_ref(),
        deck.as_ref(),
    ]);
    let (code, _, err) = tariff_diff(&[&old, eur.to_str().unwrap(), "-t", "retail"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("is in USD in") && err.contains("but in EUR"),
        "{err}"
    );
}
