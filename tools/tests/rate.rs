//! `tariff-rate` against a naive implementation written here: random decks (dated rows,
//! increments, minimum times, fees) and random CDRs; every row's prefix and cost must be what
//! a scan of the deck's rows and the cost function give, in input order. And the binary's
//! contract: bad rows located as `stdin:LINE:COLUMN` with exit 1, usage errors exit 2.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::AtomicU64;

use proptest::prelude::*;
use ratel_engine::artifact::Artifact;
use ratel_engine::compile::{compile, TariffSource};
use ratel_engine::cost::{price, Terms};
use ratel_engine::money::Decimal;
use ratel_engine::time::Timestamp;
use ratel_tools::mass_rate::{CdrColumns, RateJob, RATED_COLUMNS};
use ratel_tools::pipeline;

/// One deck row: prefix, rate and fee in thousandths, increment, minimum, effective day.
type Row = (String, u32, u32, u32, u32, Option<u8>);

fn day(d: u8) -> Timestamp {
    Timestamp(Timestamp::parse("2026-01-01").unwrap().0 + i64::from(d) * 86_400)
}

fn deck() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(
        (
            "[1-4]{1,4}",
            0u32..2000,
            0u32..50,
            1u32..61,
            0u32..61,
            proptest::option::of(0u8..20),
        ),
        1..40,
    )
    .prop_map(|rows| {
        // One row per (prefix, date): the compiler refuses repeats.
        let mut seen = std::collections::HashSet::new();
        rows.into_iter()
            .filter(|r| seen.insert((r.0.clone(), r.5)))
            .collect()
    })
}

fn milli(n: u32) -> Decimal {
    Decimal::new(i64::from(n), 3)
}

/// The row a scan of the deck picks for `number` at `at`: the longest prefix of its digits
/// (the first 20), then the newest dated row not after `at`, else the undated one.
fn naive<'r>(rows: &'r [Row], number: &str, at: Timestamp) -> Option<&'r Row> {
    let digits: String = number
        .chars()
        .filter(char::is_ascii_digit)
        .take(20)
        .collect();
    let in_force = |prefix: &str| {
        let versions = rows.iter().filter(|r| r.0 == prefix);
        let dated = versions
            .clone()
            .filter(|r| r.5.is_some_and(|d| day(d) <= at))
            .max_by_key(|r| r.5);
        dated.or_else(|| versions.clone().find(|r| r.5.is_none()))
    };
    (1..=digits.len())
        .rev()
        .find_map(|len| in_force(&digits[..len]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_row_is_priced_as_a_scan_of_the_deck_and_the_cost_rule_say(
        rows in deck(),
        cdrs in proptest::collection::vec(("[+ ]?[1-4]{0,6}", -5i64..4000, proptest::option::of(0u8..25)), 1..200),
        threads in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deck.csv");
        let mut csv = String::from("prefix,rate,connection_fee,increment_s,min_time_s,effective_from\n");
        for (prefix, rate, fee, inc, min, date) in &rows {
            let date = date.map(|d| day(d).to_string()).unwrap_or_default();
            csv.push_str(&format!("{prefix},{},{},{inc},{min},{date}\n", milli(*rate), milli(*fee)));
        }
        std::fs::write(&path, csv).unwrap();
        let sources = [TariffSource { name: "deck".into(), currency: "USD".into(), path }];
        let artifact = Artifact::from_bytes(compile(&sources, |_| {}).unwrap().bytes).unwrap();
        let at = day(10);
        let mut input = String::new();
        for (number, billsec, start) in &cdrs {
            let start = start.map(|d| day(d).to_string()).unwrap_or_default();
            input.push_str(&format!("{number},{billsec},{start}\n"));
        }
        let job = RateJob {
            artifact: &artifact,
            tariff: artifact.tariff_id("deck").unwrap(),
            at,
            columns: CdrColumns::from_header(b"number,billsec,start").unwrap(),
            file: "stdin",
            bad_rows: AtomicU64::new(0),
        };
        let mut out = Vec::new();
        let header = format!("number,billsec,start,{RATED_COLUMNS}\n");
        pipeline::run(&job, input.as_bytes(), &mut out, header.as_bytes(), std::io::sink(), 2, threads).unwrap();
        let out = String::from_utf8(out).unwrap();
        let mut lines = out.lines();
        prop_assert_eq!(lines.next(), Some(header.trim_end()));
        for ((number, billsec, start), line) in cdrs.iter().zip(lines.by_ref()) {
            let fields: Vec<&str> = line.split(',').collect();
            prop_assert_eq!(fields.len(), 11, "{}", line);
            let when = start.map_or(at, day);
            match naive(&rows, number, when) {
                None => prop_assert_eq!(&fields[3..], &["", "", "", "", "", "", "", ""][..], "{}", line),
                Some((prefix, rate, fee, inc, min, _)) => {
                    let terms = Terms { rate: milli(*rate), connection_fee: milli(*fee), increment_s: *inc, min_time_s: *min };
                    let priced = price(&terms, *billsec, Decimal::new(1, 0)).unwrap();
                    let mut cost = Vec::new();
                    ratel_engine::money::write_fixed(&mut cost, priced.cost, 6);
                    prop_assert_eq!(fields[3], prefix.as_str(), "{}", line);
                    prop_assert_eq!(fields[9].parse::<u64>().unwrap(), priced.rated_s, "{}", line);
                    prop_assert_eq!(fields[10], std::str::from_utf8(&cost).unwrap(), "{}", line);
                }
            }
        }
        prop_assert_eq!(lines.next(), None);
    }
}

fn demo_artifact(dir: &std::path::Path) -> std::path::PathBuf {
    ratel_engine::testing::write_demo_data(dir)
}

/// Runs the binary on `stdin`; its exit code, stdout and stderr.
fn tariff_rate(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff-rate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn bad_rows_are_located_written_empty_and_make_the_exit_status_one() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let artifact = artifact.to_str().unwrap();
    let input = "id,number,billsec,start\r\n\
                 c1,37061234567,65,2026-11-26 10:00:00\r\n\
                 c2,37061234567,6.5,\r\n\
                 \r\n\
                 c3,37061234567,30,2026-13-01\r\n\
                 c4,999,30,\r\n";
    let (code, out, err) = tariff_rate(
        &["-a", artifact, "-t", "retail", "--at", "2026-11-26"],
        input,
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        out,
        format!(
            "id,number,billsec,start,{RATED_COLUMNS}\n\
             c1,37061234567,65,2026-11-26 10:00:00,3706,Lithuania Mobile,0.155,0.01,1,0,65,0.177917\n\
             c2,37061234567,6.5,,,,,,,,,\n\
             c3,37061234567,30,2026-13-01,,,,,,,,\n\
             c4,999,30,,,,,,,,,\n"
        )
    );
    assert!(
        err.contains("stdin:3:3: billsec \"6.5\" is not a whole number of seconds"),
        "{err}"
    );
    assert!(
        err.contains("stdin:5:4: start \"2026-13-01\" is not a date"),
        "{err}"
    );
    // Clean input: exit 0.
    let (code, _, err) = tariff_rate(
        &["-a", artifact, "-t", "retail"],
        "number,billsec\n370,60\n",
    );
    assert_eq!(code, 0, "{err}");
}

#[test]
fn usage_errors_exit_two_and_unusable_inputs_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let artifact = artifact.to_str().unwrap();
    assert_eq!(tariff_rate(&["-a", artifact], "").0, 2, "no tariff");
    assert_eq!(
        tariff_rate(&["-a", artifact, "-t", "retail", "--at", "soon"], "").0,
        2
    );
    let (code, _, err) = tariff_rate(&["-a", artifact, "-t", "nope"], "number,billsec\n");
    assert_eq!(code, 1);
    assert!(err.contains("tariff \"nope\" is not in"), "{err}");
    let (code, _, err) = tariff_rate(&["-a", artifact, "-t", "retail"], "number,duration\n1,2\n");
    assert_eq!((code, err.trim_end()), (1, "stdin:1:1: the header has no billsec column (a header row naming number and billsec is required)"));
}
