//! `tariff-rate` against a naive implementation written here: random decks (dated rows,
//! increments, minimum times, fees) and random CDRs; every row's prefix and cost must be what
//! a scan of the deck's rows and the cost function give, in input order. And the binary's
//! contract: bad rows located as `stdin:LINE:COLUMN` with exit 1, usage errors exit 2.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::AtomicU64;

use common::{compile_decks, day, deck, longest, milli};
use proptest::prelude::*;
use ratel_engine::cost::{price, Terms};
use ratel_engine::money::Decimal;
use ratel_engine::time::{DateFormat, Zone};
use ratel_tools::cdr_columns::{CdrFormat, CdrLayout};
use ratel_tools::pipeline;
use ratel_tools::tariff_rate::{RateJob, RATED_COLUMNS};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn every_row_is_priced_as_a_scan_of_the_deck_and_the_cost_rule_say(
        rows in deck(),
        cdrs in proptest::collection::vec(("[+ ]?[1-4][0-2]{0,22}", -5i64..4000, proptest::option::of(0u8..25)), 1..200),
        threads in 1usize..4,
    ) {
        let artifact = compile_decks(&[("deck", "USD", &rows)]);
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
            columns: CdrLayout::new(CdrFormat::Csv, &[], &[])
                .unwrap()
                .from_header("number,billsec,start".split(',').map(str::as_bytes))
                .unwrap(),
            delimiter: b',',
            dates: &DateFormat::Iso,
            zone: &Zone::utc(),
            rules: &ratel_engine::lookup::NumberRules::default(),
            file: "stdin",
            bad_rows: AtomicU64::new(0),
            counts: Default::default(),
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
            match longest(&rows, number, when) {
                None => prop_assert_eq!(&fields[3..], &["", "", "", "", "", "", "", ""][..], "{}", line),
                Some((prefix, rate, fee, inc, min, _)) => {
                    let terms = Terms { rate: milli(*rate), connection_fee: milli(*fee), increment_s: *inc, min_time_s: *min, first_interval_s: 0 };
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
    common::run(env!("CARGO_BIN_EXE_tariff-rate"), args, stdin)
}

/// Bad rows deep in a large input (chunks read by one worker, processed by others) are
/// located at their line of the input, as on a small one.
#[test]
fn bad_rows_past_the_first_chunks_are_located_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let artifact = artifact.to_str().unwrap();
    let mut input = String::from("number,billsec\n");
    let good = "37061234567,65\n".repeat(100_000);
    for _ in 0..2 {
        input.push_str(&good);
        input.push_str("37061234567,x\n");
    }
    assert!(input.len() > 4 * ratel_tools::pipeline::CHUNK_BYTES);
    for threads in ["1", "2", "3"] {
        let (code, _, err) = tariff_rate(
            &["-a", artifact, "-t", "retail", "--threads", threads],
            &input,
        );
        assert_eq!(code, 1, "{err}");
        assert!(
            err.starts_with(
                "stdin:100002:2: billsec \"x\" is not a whole number of seconds\n\
                 stdin:200003:2: billsec \"x\" is not a whole number of seconds\n"
            ),
            "{threads} threads: {err}"
        );
    }
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
    // The blank line is no row; the summary is the last line.
    assert!(
        err.ends_with(
            "tariff-rate: 2 rows had a bad field (written with empty rated columns)\n\
             tariff-rate: 4 rows: 1 rated, 1 unrated (no rate), 2 bad\n"
        ),
        "{err}"
    );
    // Clean input: exit 0, the summary alone on stderr.
    let (code, _, err) = tariff_rate(
        &["-a", artifact, "-t", "retail"],
        "number,billsec\n370,60\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "tariff-rate: 1 rows: 1 rated, 0 unrated (no rate), 0 bad\n"
    );
}

#[test]
fn the_summary_counts_rows_and_fail_on_unrated_stops_on_a_row_without_a_rate() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let artifact = artifact.to_str().unwrap();
    let args = ["-a", artifact, "-t", "retail", "--at", "2026-11-26"];
    let with_fail = [&args[..], &["--fail-on-unrated"]].concat();
    let input = "id,number,billsec\nc1,37061234567,65\nc2,999,30\nc3,370,60\n";
    let (code, out, err) = tariff_rate(&args, input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "tariff-rate: 3 rows: 2 rated, 1 unrated (no rate), 0 bad\n"
    );
    // The flag changes the exit status only: the same rows, the same summary.
    let (failed, failed_out, failed_err) = tariff_rate(&with_fail, input);
    assert_eq!(failed, 1, "{failed_err}");
    assert_eq!((failed_out, failed_err), (out, err));
    // Every row rated: exit 0 with the flag.
    let (code, _, err) = tariff_rate(&with_fail, "number,billsec\n370,60\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        "tariff-rate: 1 rows: 1 rated, 0 unrated (no rate), 0 bad\n"
    );
    // No rows at all: nothing unrated.
    let (code, out, err) = tariff_rate(&with_fail, "number,billsec\n");
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("number,billsec,{RATED_COLUMNS}\n"));
    assert_eq!(
        err,
        "tariff-rate: 0 rows: 0 rated, 0 unrated (no rate), 0 bad\n"
    );
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
    assert_eq!((code, err.trim_end()), (1, "stdin:1:1: the header has no billsec column (recognised names: billsec, billable seconds; name another with --column billsec=HEADER, or read a switch's file with --cdr-format asterisk or freeswitch)"));
}

#[test]
fn first_next_billing_is_priced_and_its_first_interval_is_the_last_column() {
    let dir = tempfile::tempdir().unwrap();
    let (deck, artifact) = (dir.path().join("intervals.csv"), dir.path().join("t.ratel"));
    std::fs::write(
        &deck,
        "prefix,rate,increment_s,min_time_s\n45,1.2,45/10,\n60,0.6,60/60,\n1,0.6,6,\n",
    )
    .unwrap();
    common::tariff_compile(&[std::ffi::OsStr::new("-o"), artifact.as_ref(), deck.as_ref()]);
    let artifact = artifact.to_str().unwrap();
    let (code, out, err) = tariff_rate(
        &["-a", artifact, "-t", "intervals"],
        "number,billsec\n4512,50\n4512,45\n6012,61\n1555,7\n999,7\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "number,billsec,{RATED_COLUMNS},first_interval_s\n\
             4512,50,45,,1.2,0,10,0,55,1.100000,45\n\
             4512,45,45,,1.2,0,10,0,45,0.900000,45\n\
             6012,61,60,,0.6,0,60,0,120,1.200000,60\n\
             1555,7,1,,0.6,0,6,0,12,0.120000,\n\
             999,7,,,,,,,,,\n"
        )
    );
}
