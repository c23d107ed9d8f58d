//! `tariff-lcr` against a per-prefix lookup in every supplier written here: random sell and
//! supplier decks (shared prefixes, dated rows, one supplier in another currency) and random
//! numbers; every row must be what a scan of each deck gives, ranked cheapest first with ties
//! in the order given, the conversion and margin worked out by hand. Both modes: numbers on
//! stdin, and `--prefixes` (the merged walk) over the union of the decks' prefixes. And the
//! binary's contract: the demo's golden output, usage errors exit 2, unusable inputs exit 1.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{compile_decks, day, deck, in_force, longest, Row};
use proptest::prelude::*;
use ratel_engine::lcr::{Market, Supplier};
use ratel_engine::lookup::Slice;
use ratel_engine::money::Decimal;
use ratel_engine::time::Timestamp;
use ratel_tools::pipeline;
use ratel_tools::tariff_lcr::{LcrJob, HEADER};

/// Supplier 1 is priced in EUR, at 0.92 to the sell tariff's USD.
const EUR_SUPPLIER: usize = 1;

/// A supplier's rate in millionths of a dollar: thousandths as stored, or for the EUR
/// supplier divided by 0.92 and rounded half up (rates are never negative).
fn micro_usd(supplier: usize, milli: u32) -> i64 {
    let milli = i64::from(milli);
    if supplier == EUR_SUPPLIER {
        (milli * 100_000 * 2 + 92) / (2 * 92)
    } else {
        milli * 1000
    }
}

fn micro(units: i64) -> String {
    Decimal::new(units.into(), 6).to_string()
}

/// The rows `tariff-lcr` must write for `number`, from a scan of every deck.
fn by_hand(
    sell: &[Row],
    suppliers: &[Vec<Row>],
    number: &str,
    digits: &str,
    at: Timestamp,
    top: usize,
) -> String {
    let sell_row = longest(sell, digits, at);
    let lead = match sell_row {
        Some(r) => format!("{number},{},{}", r.0, micro(i64::from(r.1) * 1000)),
        None => format!("{number},,"),
    };
    // Ranked by the exact rate: in 92nds of a thousandth of a dollar, EUR being 0.92 a dollar.
    let exact = |i: usize, milli: u32| {
        if i == EUR_SUPPLIER {
            i64::from(milli) * 100
        } else {
            i64::from(milli) * 92
        }
    };
    let mut offers: Vec<(i64, usize, &Row)> = suppliers
        .iter()
        .enumerate()
        .filter_map(|(i, rows)| longest(rows, digits, at).map(|r| (micro_usd(i, r.1), i, r)))
        .collect();
    offers.sort_by_key(|&(_, i, row)| (exact(i, row.1), i));
    if offers.is_empty() {
        return format!("{lead},,,,,\n");
    }
    let mut out = String::new();
    for (rank, (rate, i, row)) in offers.iter().take(top).enumerate() {
        let margin = sell_row
            .map(|s| micro(i64::from(s.1) * 1000 - rate))
            .unwrap_or_default();
        out.push_str(&format!(
            "{lead},{},s{i},{},{},{margin}\n",
            rank + 1,
            row.0,
            micro(*rate)
        ));
    }
    out
}

fn market_job<'a>(
    artifact: &'a ratel_engine::artifact::Artifact,
    suppliers: usize,
    at: Timestamp,
    top: usize,
) -> LcrJob<'a> {
    LcrJob::new(
        Market {
            artifact,
            sell: artifact.tariff_id("sell").unwrap(),
            suppliers: (0..suppliers)
                .map(|i| Supplier {
                    tariff: artifact.tariff_id(&format!("s{i}")).unwrap(),
                    conversion: (i == EUR_SUPPLIER)
                        .then(|| (Decimal::new(92, 2), Decimal::new(1, 0))),
                })
                .collect(),
            at,
        },
        (0..suppliers).map(|i| format!("s{i}")).collect(),
        Some(top),
        "USD".into(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn rankings_equal_a_lookup_in_every_supplier(
        sell in deck(),
        suppliers in proptest::collection::vec(deck(), 1..5),
        numbers in proptest::collection::vec("[+ ]?[1-4][0-2]{0,22}", 1..60),
        at in 0u8..25,
        top in 1usize..5,
        threads in 1usize..4,
    ) {
        let mut decks: Vec<(String, &str, &[Row])> = vec![("sell".into(), "USD", &sell[..])];
        for (i, rows) in suppliers.iter().enumerate() {
            decks.push((format!("s{i}"), if i == EUR_SUPPLIER { "EUR" } else { "USD" }, rows));
        }
        let named: Vec<(&str, &str, &[Row])> = decks.iter().map(|(n, c, r)| (n.as_str(), *c, *r)).collect();
        let artifact = compile_decks(&named);
        let at = day(at);
        let job = market_job(&artifact, suppliers.len(), at, top);

        // Numbers on stdin.
        let input: String = numbers.iter().map(|n| format!("{n}\n")).collect();
        let mut out = Vec::new();
        pipeline::run(&job, input.as_bytes(), &mut out, HEADER.as_bytes(), std::io::sink(), 1, threads).unwrap();
        let mut expected = String::from(HEADER);
        for number in &numbers {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            expected.push_str(&by_hand(&sell, &suppliers, number.trim(), &digits, at, top));
        }
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected);

        // Every prefix any deck holds in force at the time.
        let mut out = Vec::new();
        pipeline::run_items(&job, Slice::all(), &mut out, HEADER.as_bytes(), std::io::sink(), threads).unwrap();
        let union: BTreeSet<&str> = std::iter::once(&sell)
            .chain(&suppliers)
            .flat_map(|rows| rows.iter().filter(|r| in_force(rows, &r.0, at).is_some()).map(|r| r.0.as_str()))
            .collect();
        let mut expected = String::from(HEADER);
        for prefix in union {
            expected.push_str(&by_hand(&sell, &suppliers, prefix, prefix, at, top));
        }
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}

fn tariff_lcr(args: &[&str], stdin: &str) -> (i32, String, String) {
    common::run(env!("CARGO_BIN_EXE_tariff-lcr"), args, stdin)
}

/// The demo's retail and wholesale tariffs and its two suppliers (carrier_b in EUR), compiled.
fn demo_market(dir: &std::path::Path) -> String {
    let out = dir.join("lcr.ratel");
    let demo = ratel_engine::testing::repo().join("fixtures/demo");
    common::tariff_compile(&[
        std::ffi::OsStr::new("--currency"),
        "carrier_b=EUR".as_ref(),
        "-o".as_ref(),
        out.as_ref(),
        demo.join("tariffs/retail.csv").as_ref(),
        demo.join("tariffs/wholesale.csv").as_ref(),
        demo.join("suppliers/carrier_a.csv").as_ref(),
        demo.join("suppliers/carrier_b.csv").as_ref(),
    ]);
    out.to_str().unwrap().to_owned()
}

#[test]
fn the_demo_market_ranks_as_the_golden_files_say() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_market(dir.path());
    let repo = ratel_engine::testing::repo();
    let numbers = std::fs::read_to_string(repo.join("fixtures/demo/numbers.txt")).unwrap();
    let (code, out, err) = tariff_lcr(
        &[
            "-a",
            &artifact,
            "--sell",
            "retail",
            "--supplier",
            "wholesale",
            "--supplier",
            "carrier_a",
            "--at",
            "2026-11-26",
        ],
        &numbers,
    );
    // The summary alone on stderr: 10 numbers, two without a sell rate, three no supplier
    // prices (as the golden file shows).
    assert_eq!(
        (code, err.as_str()),
        (
            0,
            "tariff-lcr: 10 numbers: 8 with a sell rate, 7 with a supplier, 3 with no supplier\n"
        )
    );
    let golden =
        std::fs::read_to_string(repo.join("fixtures/golden/tariff-lcr-numbers.csv")).unwrap();
    assert_eq!(out, golden);
    let currencies = repo.join("fixtures/demo/currencies.csv");
    let (code, out, err) = tariff_lcr(
        &[
            "-a",
            &artifact,
            "--sell",
            "retail",
            "--supplier",
            "wholesale",
            "--supplier",
            "carrier_a",
            "--supplier",
            "carrier_b",
            "--currencies",
            currencies.to_str().unwrap(),
            "--prefixes",
            "--top",
            "2",
            "--at",
            "2026-11-26",
        ],
        "",
    );
    assert_eq!(
        (code, err.as_str()),
        (
            0,
            "tariff-lcr: 16 prefixes: 16 with a sell rate, 15 with a supplier, 1 with no supplier\n"
        )
    );
    let golden =
        std::fs::read_to_string(repo.join("fixtures/golden/tariff-lcr-prefixes.csv")).unwrap();
    assert_eq!(out, golden);
}

/// A converted rate is ranked by its exact value, not by the 6 places it is written with:
/// 0.005 EUR at 0.92 is 0.00543478… USD, cheaper than 0.0054348 USD though written 0.005435.
#[test]
fn converted_rates_rank_by_their_exact_value() {
    let dir = tempfile::tempdir().unwrap();
    let deck = |name: &str, rate: &str| {
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, format!("prefix,rate\n1,{rate}\n")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (sell, usd, eur) = (
        deck("sell", "0.01"),
        deck("usd", "0.0054348"),
        deck("eur", "0.005"),
    );
    let artifact = dir.path().join("a.ratel");
    let artifact = artifact.to_str().unwrap();
    common::tariff_compile(&["--currency", "eur=EUR", "-o", artifact, &sell, &usd, &eur]);
    let currencies = ratel_engine::testing::repo().join("fixtures/demo/currencies.csv");
    let args = [
        "-a",
        artifact,
        "--sell",
        "sell",
        "--supplier",
        "usd",
        "--supplier",
        "eur",
        "--currencies",
        currencies.to_str().unwrap(),
    ];
    let (code, out, err) = tariff_lcr(&args, "1\n");
    assert_eq!(
        (code, err.as_str()),
        (
            0,
            "tariff-lcr: 1 numbers: 1 with a sell rate, 1 with a supplier, 0 with no supplier\n"
        )
    );
    assert_eq!(
        out,
        format!(
            "{HEADER}1,1,0.01,1,eur,1,0.005435,0.004565\n1,1,0.01,2,usd,1,0.0054348,0.0045652\n"
        )
    );
}

#[test]
fn usage_errors_exit_two_and_unusable_inputs_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_market(dir.path());
    let a = artifact.as_str();
    for args in [
        &["-a", a, "--sell", "retail"][..],
        &["-a", a, "--supplier", "wholesale"],
        &[
            "-a",
            a,
            "--sell",
            "retail",
            "--supplier",
            "wholesale",
            "--top",
            "0",
        ],
        &[
            "-a",
            a,
            "--sell",
            "retail",
            "--supplier",
            "wholesale",
            "--at",
            "soon",
        ],
        &[
            "-a",
            a,
            "--sell",
            "retail",
            "--supplier",
            "wholesale",
            "--supplier",
            "wholesale",
        ],
    ] {
        let (code, _, err) = tariff_lcr(args, "");
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    let (code, _, err) = tariff_lcr(&["-a", a, "--sell", "retail", "--supplier", "nope"], "");
    assert_eq!(code, 1);
    assert!(err.contains("tariff \"nope\" is not in"), "{err}");
    // Another currency without --currencies is refused before anything is written.
    let (code, out, err) = tariff_lcr(
        &[
            "-a",
            a,
            "--sell",
            "retail",
            "--supplier",
            "carrier_b",
            "--prefixes",
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.contains("supplier carrier_b is priced in EUR and the sell tariff retail in USD"),
        "{err}"
    );
    // A currencies file without EUR, or with a bad line, is refused and located.
    let currencies = dir.path().join("currencies.csv");
    let c = currencies.to_str().unwrap();
    for (text, error) in [
        (
            "code,exchange_rate\nUSD,1\nGBP,0.79\n",
            "currency EUR (of tariff carrier_b) is not in",
        ),
        (
            "code,exchange_rate\nUSD,1\nEUR,0\n",
            "currencies.csv:3:2: exchange_rate must be above zero",
        ),
    ] {
        std::fs::write(&currencies, text).unwrap();
        let args = [
            "-a",
            a,
            "--sell",
            "retail",
            "--supplier",
            "carrier_b",
            "--currencies",
            c,
        ];
        let (code, _, err) = tariff_lcr(&args, "");
        assert_eq!(code, 1);
        assert!(err.contains(error), "{err}");
    }
}

/// `--fail-on-unrated` changes the exit status only (1 when a number has no sell rate or no
/// supplier, in either mode), after the same rows and the same summary.
#[test]
fn fail_on_unrated_stops_on_a_number_without_a_sell_rate_or_a_supplier() {
    let dir = tempfile::tempdir().unwrap();
    let deck = |name: &str, rows: &str| {
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, format!("prefix,rate\n{rows}")).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (sell, supplier) = (
        deck("sell", "1,0.01\n2,0.02\n"),
        deck("supplier", "1,0.005\n3,0.004\n"),
    );
    let artifact = dir.path().join("a.ratel");
    let artifact = artifact.to_str().unwrap();
    common::tariff_compile(&["-o", artifact, &sell, &supplier]);
    let args = ["-a", artifact, "--sell", "sell", "--supplier", "supplier"];
    let with_fail = [&args[..], &["--fail-on-unrated"]].concat();
    // 1: both; 2: a sell rate, no supplier; 3: a supplier, no sell rate; 9: neither.
    let (code, out, err) = tariff_lcr(&args, "15\n25\n35\n95\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{HEADER}15,1,0.01,1,supplier,1,0.005,0.005\n25,2,0.02,,,,,\n\
             35,,,1,supplier,3,0.004,\n95,,,,,,,\n"
        )
    );
    assert_eq!(
        err,
        "tariff-lcr: 4 numbers: 2 with a sell rate, 2 with a supplier, 2 with no supplier\n"
    );
    let failed = tariff_lcr(&with_fail, "15\n25\n35\n95\n");
    assert_eq!(failed, (1, out, err));
    // A number with a supplier and no sell rate is unrated too.
    let (code, _, err) = tariff_lcr(&with_fail, "15\n35\n");
    assert_eq!(code, 1, "{err}");
    // Every number priced and routed: exit 0.
    let (code, _, err) = tariff_lcr(&with_fail, "15\n1\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "tariff-lcr: 2 numbers: 2 with a sell rate, 2 with a supplier, 0 with no supplier\n"
    );
    // --prefixes: 1, 2 and 3; 2 has no supplier, 3 no sell rate.
    let prefixes = [&with_fail[..], &["--prefixes"]].concat();
    let (code, _, err) = tariff_lcr(&prefixes, "");
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        err,
        "tariff-lcr: 3 prefixes: 2 with a sell rate, 2 with a supplier, 1 with no supplier\n"
    );
}
