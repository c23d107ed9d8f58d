//! `tariff-rate` on the files switches write: an Asterisk `Master.csv` and a FreeSWITCH
//! `mod_cdr_csv` file as they come (no header, every field quoted, local times across a
//! summer-time change), compared whole with golden files; and the header CSV's traps: a start
//! column under another name, `;` files, ISO 8601 starts, date patterns, zones.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `fixtures/cdr/carrier.csv` compiled into `dir`.
fn carrier_artifact(dir: &Path) -> String {
    let artifact = dir.join("carrier.ratel");
    common::tariff_compile(&[
        "-o".as_ref(),
        artifact.as_os_str(),
        repo().join("fixtures/cdr/carrier.csv").as_os_str(),
    ]);
    artifact.to_str().unwrap().to_owned()
}

fn tariff_rate(args: &[&str], stdin: &str) -> (i32, String, String) {
    common::run(env!("CARGO_BIN_EXE_tariff-rate"), args, stdin)
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap()
}

#[test]
fn an_asterisk_master_csv_is_priced_on_the_switch_s_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = carrier_artifact(dir.path());
    let (code, out, err) = tariff_rate(
        &[
            "-a",
            &artifact,
            "-t",
            "carrier",
            "--cdr-format",
            "asterisk",
            "--timezone",
            "Europe/Vilnius",
            "--international-prefix",
            "00",
            "--international-prefix",
            "011",
            "--min-digits",
            "5",
        ],
        &fixture("fixtures/cdr/asterisk/Master.csv"),
    );
    // Hand-checked, row by row (Vilnius: UTC+3 in summer, UTC+2 from 04:00 on 2026-10-25,
    // when 03:00-03:59 is read twice; Lithuania Mobile is 0.12 until 2026-10-25 00:00 UTC,
    // 0.09 after, billed 30/6):
    // 1. 02:30 summer = 23:30 UTC the day before: 0.12, 120 s -> 120 s, 0.24.
    // 2. 03:30, read twice: its first occurrence, 00:30 UTC: 0.09, 45 s -> 30 + 18 = 48 s.
    // 3. 04:10 winter = 02:10 UTC: 0.09, 7 s -> the first 30 s, 0.045.
    // 4, 5, 10. NO ANSWER, BUSY, FAILED: passed through unpriced, counted as not answered.
    // 6. The extension 3706 (voicemail): fewer than 5 digits, no rate.
    // 7. 00 1 268: Antigua, 60/60, 61 s -> 120 s, 0.50.
    // 8. 2026-03-29 03:30 never happened in Vilnius: a bad row, located.
    // 9. 04:00 that day = 01:00 UTC: Lithuania 370, 60/60, 59 s -> 60 s, 0.05.
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, fixture("fixtures/golden/cdr/asterisk.rated.csv"));
    assert_eq!(err, fixture("fixtures/golden/cdr/asterisk.stderr"));
    let costs: Vec<&str> = out
        .lines()
        .map(|line| line.rsplit(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        costs,
        ["0.240000", "0.072000", "0.045000", "", "", "", "0.500000", "", "0.050000", ""]
    );
}

#[test]
fn a_freeswitch_cdr_csv_file_is_priced_on_the_switch_s_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = carrier_artifact(dir.path());
    let (code, out, err) = tariff_rate(
        &[
            "-a",
            &artifact,
            "-t",
            "carrier",
            "--cdr-format",
            "freeswitch",
            "--timezone",
            "America/New_York",
            "--international-prefix",
            "011",
        ],
        &fixture("fixtures/cdr/freeswitch/Master.csv"),
    );
    // New York left summer time at 02:00 on 2026-11-01 (01:00-01:59 read twice); USA is
    // 0.01 until 06:00 UTC that day, 0.008 after:
    // 1. 01:30, first occurrence (UTC-4) = 05:30 UTC: 0.01, 120 s, 0.02.
    // 2. 02:30 (UTC-5) = 07:30 UTC: 0.008, 0.016.
    // 3. 1212 New York, 1/1: 10 s at 0.005 = 0.000833.
    // 4. No answer time: not answered. 5. 011 370 6: 45 s -> 48 s at 0.09. 6. 44: no rate.
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, fixture("fixtures/golden/cdr/freeswitch.rated.csv"));
    assert_eq!(err, fixture("fixtures/golden/cdr/freeswitch.stderr"));
}

#[test]
fn a_start_column_under_another_name_is_refused_until_named() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = carrier_artifact(dir.path());
    let cdrs = "destination_number,billsec,start_stamp\n12685551234,60,2026-11-26 10:00:00\n";
    // FreeSWITCH's names are known: start_stamp is the start.
    let (code, out, _) = tariff_rate(&["-a", &artifact, "-t", "carrier"], cdrs);
    assert_eq!(code, 0);
    assert!(
        out.ends_with(",1268,Antigua,0.25,0,60,0,60,0.250000,60\n"),
        "{out}"
    );
    // A name no list knows: refused rather than priced at "now".
    let renamed = cdrs.replace("start_stamp", "call_began_at");
    let (code, _, err) = tariff_rate(&["-a", &artifact, "-t", "carrier"], &renamed);
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "stdin:1:3: column \"call_began_at\" is not used, but its name suggests a time"
        ),
        "{err}"
    );
    let (code, named, _) = tariff_rate(
        &[
            "-a",
            &artifact,
            "-t",
            "carrier",
            "--column",
            "start=call_began_at",
        ],
        &renamed,
    );
    assert_eq!((code, named.lines().nth(1)), (0, out.lines().nth(1)));
    let (code, _, _) = tariff_rate(
        &[
            "-a",
            &artifact,
            "-t",
            "carrier",
            "--ignore-column",
            "call_began_at",
            "--at",
            "2026-11-26",
        ],
        &renamed,
    );
    assert_eq!(code, 0);
}

#[test]
fn semicolons_iso_starts_date_patterns_and_zones() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = carrier_artifact(dir.path());
    let rate = |extra: &[&str], stdin: &str| {
        let mut args = vec!["-a", artifact.as_str(), "-t", "carrier"];
        args.extend_from_slice(extra);
        tariff_rate(&args, stdin)
    };
    // A `;` file: found from the header, and the added columns split at `;` too.
    let (code, out, err) = rate(
        &[],
        "number;billsec;start\n37061234567;60;2026-10-24T21:00:00Z\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "number;billsec;start;prefix;destination;rate;connection_fee;increment_s;min_time_s;\
         rated_s;cost;first_interval_s\n\
         37061234567;60;2026-10-24T21:00:00Z;3706;Lithuania Mobile;0.12;0;6;0;60;0.120000;30\n"
    );
    // Forced to `,`, the header is one column: the error hints at `;`.
    let (code, _, err) = rate(&["--delimiter", ","], "number;billsec\n1;2\n");
    assert_eq!(code, 1);
    assert!(err.contains("try --delimiter ';'"), "{err}");
    // An offset written with the time wins over --timezone; a time without one is read on it.
    let cdrs = "number,billsec,start\n\
                37061234567,60,2026-10-25T02:30:00+03:00\n\
                37061234567,60,2026-10-25 02:30:00\n";
    let (_, utc, _) = rate(&[], cdrs);
    let (_, vilnius, _) = rate(&["--timezone", "Europe/Vilnius"], cdrs);
    let costs = |out: &str| -> Vec<String> {
        out.lines()
            .skip(1)
            .map(|l| l.rsplit(',').nth(1).unwrap().to_owned())
            .collect()
    };
    assert_eq!(costs(&utc), ["0.120000", "0.090000"]);
    assert_eq!(costs(&vilnius), ["0.120000", "0.120000"]);
    // A day-first pattern.
    let (code, out, err) = rate(
        &["--date-format", "%d.%m.%Y %H:%M"],
        "number,billsec,start\n37061234567,60,24.10.2026 23:59\n37061234567,60,2026-10-24\n",
    );
    assert_eq!(code, 1);
    assert_eq!(costs(&out), ["0.120000", ""]);
    assert_eq!(
        err.lines().next(),
        Some("stdin:3:3: start \"2026-10-24\" is not a date in --date-format %d.%m.%Y %H:%M")
    );
    // Usage errors: exit 2.
    assert_eq!(rate(&["--timezone", "Mars/Olympus"], "").0, 2);
    assert_eq!(rate(&["--cdr-format", "cisco"], "").0, 2);
    assert_eq!(
        rate(
            &["--cdr-format", "asterisk", "--column", "start=calldate"],
            ""
        )
        .0,
        2
    );
    // A file that is not of the format named: every row says so.
    let (code, _, err) = rate(&["--cdr-format", "asterisk"], "\"1\",\"2\",\"3\"\n");
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "stdin:1:3: the row has 3 fields; every row of this format has at least 16"
        ),
        "{err}"
    );
    // At the boundary: the 15 fields read are not enough without a 16th after them, however
    // empty, and the count said is the row's own.
    let fifteen = "\"1001\",\"100\",\"0037061234567\",\"from-internal\",\"\"\"Alice\"\" <100>\",\
                   \"SIP/100-1\",\"SIP/trunk-2\",\"Dial\",\"SIP/trunk/0037061234567,60,tT\",\
                   \"2026-10-25 02:30:00\",\"2026-10-25 02:30:05\",\"2026-10-25 02:32:05\",\"125\",\
                   \"120\",\"ANSWERED\"";
    // No header in this format: every line is a row.
    let costs = |out: &str| -> Vec<String> {
        out.lines()
            .map(|l| l.rsplit(',').nth(1).unwrap().to_owned())
            .collect()
    };
    let (code, out, err) = rate(
        &["--cdr-format", "asterisk", "--international-prefix", "00"],
        &format!("{fifteen}\n"),
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "stdin:1:15: the row has 15 fields; every row of this format has at least 16"
        ),
        "{err}"
    );
    assert_eq!(costs(&out), [""]);
    // 120 s from 2026-10-25 02:30 UTC: the 0.09 row, 30/6 bills 120 s, 0.09 × 2.
    let asterisk = ["--cdr-format", "asterisk", "--international-prefix", "00"];
    for sixteen in [
        format!("{fifteen},"),
        format!("{fifteen},\"DOCUMENTATION\""),
    ] {
        let (code, out, err) = rate(&asterisk, &format!("{sixteen}\n"));
        assert_eq!((code, err.lines().count()), (0, 1), "{sixteen}: {err}");
        assert_eq!(costs(&out), ["0.180000"], "{sixteen}");
    }
}

#[test]
fn ratel_gen_s_master_csv_prices_as_its_cdrs_csv() {
    // The same calls in both layouts: every answered call costs the same, and every call
    // with billsec 0 is a call not answered in Master.csv.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (code, _, err) = common::run(
        env!("CARGO_BIN_EXE_ratel-gen"),
        &[
            "-o",
            data.to_str().unwrap(),
            "--rows",
            "2000",
            "--numbers",
            "10",
            "--cdrs",
            "3000",
            "--asterisk",
            "--users",
            "1",
            "--cards",
            "1",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let artifact = dir.path().join("w.ratel");
    common::tariff_compile(&[
        "-o".as_ref(),
        artifact.as_os_str(),
        data.join("wholesale.csv").as_os_str(),
    ]);
    let artifact = artifact.to_str().unwrap();
    let read = |name: &str| std::fs::read_to_string(data.join(name)).unwrap();
    let (code, csv, _) = tariff_rate(&["-a", artifact, "-t", "wholesale"], &read("cdrs.csv"));
    assert_eq!(code, 0);
    let (code, asterisk, err) = tariff_rate(
        &[
            "-a",
            artifact,
            "-t",
            "wholesale",
            "--cdr-format",
            "asterisk",
            "--international-prefix",
            "00",
        ],
        &read("Master.csv"),
    );
    assert_eq!(code, 0, "{err}");
    let mut unanswered = 0;
    let mut rated = 0;
    for (plain, switch) in csv.lines().skip(1).zip(asterisk.lines()) {
        let cost = |line: &str| line.rsplit(',').next().unwrap().to_owned();
        let billsec = plain.split(',').nth(2).unwrap();
        if billsec == "0" {
            unanswered += 1;
            assert_eq!(cost(switch), "", "{switch}");
        } else {
            rated += usize::from(!cost(plain).is_empty());
            assert_eq!(cost(plain), cost(switch), "{plain} / {switch}");
        }
    }
    assert_eq!(asterisk.lines().count(), 3000);
    assert!(unanswered > 50 && rated > 2000, "{unanswered} {rated}");
    assert!(
        err.ends_with(&format!(
            "tariff-rate: 3000 rows: {rated} rated, {} unrated (no rate), {unanswered} not answered, 0 bad\n",
            3000 - rated - unanswered
        )),
        "{err}"
    );
}
