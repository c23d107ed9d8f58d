//! The tools as an import pipeline runs them: real binaries, real files, exit codes and
//! every byte of their output.

// A test that cannot set itself up should stop loudly; helpers here unwrap like tests do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ratel_engine::testing::{demo_dir, repo};

fn compile(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tariff-compile"))
        .args(args)
        .output()
        .expect("tariff-compile runs")
}

fn lookup(args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tariff-lookup"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tariff-lookup runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    // A tool that refuses its arguments exits without reading stdin: a closed pipe is fine.
    match input.write_all(stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing stdin: {e}"),
        _ => {}
    }
    drop(input);
    child.wait_with_output().expect("tariff-lookup finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Compiles the three demo tariffs into `dir`; returns the artifact path.
fn demo_artifact(dir: &Path) -> PathBuf {
    let out = dir.join("demo.ratel");
    let tariffs = demo_dir().join("tariffs");
    let result = compile(&[
        "-o",
        out.to_str().unwrap(),
        tariffs.join("retail.csv").to_str().unwrap(),
        tariffs.join("wholesale.csv").to_str().unwrap(),
        tariffs.join("vip_custom.csv").to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert!(text(&result.stdout)
        .starts_with("compiled 3 tariffs: 25 rows, 24 distinct prefixes, 25 rate records"));
    out
}

#[test]
fn demo_lookups_match_the_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let numbers = std::fs::read(repo().join("fixtures/demo/numbers.txt")).unwrap();
    let golden =
        std::fs::read_to_string(repo().join("fixtures/golden/demo_lookup_retail_2025-06-01.csv"))
            .unwrap();
    for threads in ["1", "2"] {
        let result = lookup(
            &[
                "-a",
                artifact.to_str().unwrap(),
                "-t",
                "retail",
                "--at",
                "2025-06-01 00:00:00",
                "--threads",
                threads,
            ],
            &numbers,
        );
        assert!(result.status.success(), "{}", text(&result.stderr));
        assert_eq!(text(&result.stdout), golden);
        assert_eq!(
            text(&result.stderr),
            "tariff-lookup: 10 lines: 8 matched, 2 unmatched\n"
        );
    }
}

#[test]
fn the_lookup_summary_counts_lines_and_fail_on_unrated_stops_on_an_unmatched_one() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let a = artifact.to_str().unwrap();
    let args = ["-a", a, "-t", "wholesale", "--exact"];
    let with_fail = [&args[..], &["--fail-on-unrated"]].concat();
    let plain = lookup(&args, b"370\n3701\n\n");
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    // A blank line is a line (and a row) too, unmatched.
    assert_eq!(
        text(&plain.stdout),
        "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n\
         370,370,Lithuania,0.021,0.0,1,0\n3701,,,,,,\n,,,,,,\n"
    );
    assert_eq!(
        text(&plain.stderr),
        "tariff-lookup: 3 lines: 1 matched, 2 unmatched\n"
    );
    // The flag changes the exit status only.
    let failed = lookup(&with_fail, b"370\n3701\n\n");
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed.stderr));
    assert_eq!((failed.stdout, failed.stderr), (plain.stdout, plain.stderr));
    let all = lookup(&with_fail, b"370\n");
    assert_eq!(all.status.code(), Some(0), "{}", text(&all.stderr));
    assert_eq!(
        text(&all.stderr),
        "tariff-lookup: 1 lines: 1 matched, 0 unmatched\n"
    );
    let none = lookup(&with_fail, b"");
    assert_eq!(none.status.code(), Some(0), "{}", text(&none.stderr));
    assert_eq!(
        text(&none.stderr),
        "tariff-lookup: 0 lines: 0 matched, 0 unmatched\n"
    );
}

#[test]
fn a_dated_change_applies_from_its_date_and_exact_mode_needs_the_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let a = artifact.to_str().unwrap();
    let after = lookup(
        &["-a", a, "-t", "retail", "--at", "2026-01-01"],
        b"442071234567\n",
    );
    assert_eq!(
        text(&after.stdout),
        "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n\
         442071234567,44,United Kingdom,0.0175,0.0,1,0\n"
    );
    let exact = lookup(&["-a", a, "-t", "wholesale", "--exact"], b"370\n3701\n");
    assert_eq!(
        text(&exact.stdout),
        "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n\
         370,370,Lithuania,0.021,0.0,1,0\n3701,,,,,,\n"
    );
}

/// Writes `csv` as `name` in `dir`, compiles it to `dir/out.ratel`, returns the result.
fn compile_one(dir: &Path, name: &str, csv: &[u8]) -> Output {
    let input = dir.join(name);
    std::fs::write(&input, csv).unwrap();
    compile(&[
        "-o",
        dir.join("out.ratel").to_str().unwrap(),
        input.to_str().unwrap(),
    ])
}

#[test]
fn every_csv_error_kind_exits_1_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deck.csv");
    let shown = file.display().to_string();
    let cases: Vec<(&[u8], String)> = vec![
        (b"prefix,rate\n37x,0.1\n", format!("{shown}:2:1: prefix \"37x\" must be 1-20 digits")),
        (b"prefix,rate\n370,-0.1\n", format!("{shown}:2:2: rate \"-0.1\" must not be negative")),
        (
            b"prefix,rate\n370,0,1\n",
            format!("{shown}:2:1: row has 3 fields but the header has 2"),
        ),
        (
            b"rate,prefix\n1.2.3,370\n",
            format!("{shown}:2:1: rate \"1.2.3\" is not a decimal number (expected digits with an optional '.' fraction, like 0.05)"),
        ),
        (
            b"prefix,rate,effective_from\n370,1,2026-13-01\n",
            format!("{shown}:2:3: effective_from \"2026-13-01\" is not a date: expected YYYY-MM-DD, YYYY-MM-DD HH:MM:SS or ISO 8601 like 2026-12-01T00:00:00Z (UTC); another form needs --date-format"),
        ),
        (
            b"prefix,rate\n370,1\n44,1\n370,2\n",
            format!("{shown}:4:1: duplicate prefix \"370\": already defined at line 2 (also undated)"),
        ),
        (
            b"prefix,rate,effective_from\n370,1,2026-01-01\n370,2,2026-01-01\n",
            format!("{shown}:3:1: duplicate prefix \"370\": already defined at line 2 (same effective_from as line 2)"),
        ),
        (b"prefix,destination\n370,x\n", format!("{shown}:1:1: missing required column \"rate\" in the header (recognised names: rate, price, rate per minute; name another with --column rate=HEADER)")),
        // Windows line endings and blank lines still name the physical line.
        (
            b"prefix,rate\r\n370,1\r\n\r\n371,-1\r\n",
            format!("{shown}:4:2: rate \"-1\" must not be negative"),
        ),
        (b"prefix,rate\n\n\n37y,1", format!("{shown}:4:1: prefix \"37y\" must be 1-20 digits")),
        (
            b"prefix,rate,destination\n370,1,Lietuva\xe0\n",
            format!("{shown}:2:3: destination is not valid UTF-8 (invalid byte at offset 7)"),
        ),
    ];
    for (csv, expected) in cases {
        let result = compile_one(dir.path(), "deck.csv", csv);
        assert_eq!(result.status.code(), Some(1), "{expected}");
        let stderr = text(&result.stderr);
        let first_error = stderr.lines().find(|l| !l.starts_with("warning: "));
        assert_eq!(first_error, Some(expected.as_str()), "{stderr}");
        assert!(stderr.ends_with("was not written\n"), "{stderr}");
    }
}

#[test]
fn all_errors_are_listed_up_to_a_hundred_then_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = b"prefix,rate\n".to_vec();
    for i in 0..150 {
        csv.extend_from_slice(format!("{i}x,1\n").as_bytes());
    }
    let result = compile_one(dir.path(), "deck.csv", &csv);
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.contains(": prefix \"")).count(),
        100
    );
    assert!(stderr.contains("... and 50 more errors\n"), "{stderr}");
    assert!(stderr.contains("150 errors found"), "{stderr}");
}

#[test]
fn a_failed_compile_leaves_the_existing_output_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    assert!(compile_one(dir.path(), "deck.csv", b"prefix,rate\n370,1\n")
        .status
        .success());
    let before = std::fs::read(dir.path().join("out.ratel")).unwrap();
    let result = compile_one(dir.path(), "deck.csv", b"prefix,rate\n370,1\n371,oops\n");
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(std::fs::read(dir.path().join("out.ratel")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::fs::create_dir(&a).unwrap();
    let one = a.join("x.csv");
    let two = dir.path().join("x.csv");
    for path in [&one, &two] {
        std::fs::write(path, "prefix,rate\n1,1\n").unwrap();
    }
    let out = dir.path().join("o.ratel");
    let (o, p1, p2) = (
        out.to_str().unwrap(),
        one.to_str().unwrap(),
        two.to_str().unwrap(),
    );
    for args in [
        vec!["-o", o, p1, p2],
        vec!["-o", o, "--currency", "nope=EUR", p1],
        vec![p1],
        vec!["-o", o],
    ] {
        let result = compile(&args);
        assert_eq!(
            result.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&result.stderr)
        );
    }
    assert!(!out.exists());
    let bad_at = lookup(&["-a", o, "-t", "x", "--at", "tomorrow"], b"");
    assert_eq!(bad_at.status.code(), Some(2));
}

#[test]
fn lookup_refuses_missing_damaged_and_unknown_inputs_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let bytes = std::fs::read(&artifact).unwrap();
    let damaged = dir.path().join("damaged.ratel");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (bytes[..bytes.len() / 2].to_vec(), "artifact is truncated"),
        (
            {
                let mut flipped = bytes.clone();
                flipped[bytes.len() - 40] ^= 0x10;
                flipped
            },
            "checksum mismatch",
        ),
        (
            b"prefix,rate\n1,1\n".to_vec(),
            "not a Ratel tariff artifact",
        ),
    ];
    for (content, expected) in cases {
        std::fs::write(&damaged, content).unwrap();
        let result = lookup(&["-a", damaged.to_str().unwrap(), "-t", "retail"], b"1\n");
        assert_eq!(result.status.code(), Some(1));
        let stderr = text(&result.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(result.stdout.is_empty());
    }
    let unknown = lookup(&["-a", artifact.to_str().unwrap(), "-t", "nope"], b"1\n");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("tariff \"nope\" is not in"));
    assert!(text(&unknown.stderr).contains("(it holds: retail, wholesale, vip_custom)"));
    let missing = lookup(
        &[
            "-a",
            dir.path().join("none.ratel").to_str().unwrap(),
            "-t",
            "retail",
        ],
        b"",
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("cannot read the artifact"));
}

// Vendor decks (docs/tariff-compile.md): the decks under fixtures/vendor/ are shaped like real ones.

/// A deck under `fixtures/vendor/`.
fn vendor_deck(name: &str) -> String {
    repo()
        .join("fixtures/vendor")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Compiles `deck` with `options` into `dir/out.ratel`; returns the result.
fn compile_deck(dir: &Path, deck: &str, options: &[&str]) -> Output {
    let out = dir.join("out.ratel");
    let mut args = vec!["-o", out.to_str().unwrap()];
    args.extend_from_slice(options);
    args.push(deck);
    compile(&args)
}

/// Looks `numbers` up in `dir/out.ratel`'s tariff `tariff` (at `at`, if given); stdout.
fn lookup_deck(dir: &Path, tariff: &str, at: Option<&str>, numbers: &str) -> String {
    let out = dir.join("out.ratel");
    let mut args = vec!["-a", out.to_str().unwrap(), "-t", tariff];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    let result = lookup(&args, numbers.as_bytes());
    assert!(result.status.success(), "{}", text(&result.stderr));
    text(&result.stdout)
}

const LOOKUP_HEADER: &str =
    "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n";

#[test]
fn a_semicolon_deck_with_decimal_commas_dial_codes_and_day_first_dates_compiles_when_described() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("semicolon_comma_ddmmyyyy.csv");
    // Read as a §2.1 deck, the first decimal comma and the first date are both refused.
    let plain = compile_deck(dir.path(), &deck, &[]);
    assert_eq!(plain.status.code(), Some(1));
    let stderr = text(&plain.stderr);
    assert!(
        stderr.starts_with(&format!(
            "{deck}:2:3: rate \"0,0123\" is not a decimal number (expected digits with an optional \
             '.' fraction, like 0.05; a deck with decimal commas needs --decimal-comma)\n\
             {deck}:2:7: effective_from \"01.01.2020\" is not a date"
        )),
        "{stderr}"
    );
    let described = compile_deck(
        dir.path(),
        &deck,
        &[
            "--decimal-comma",
            "--date-format",
            "%d.%m.%Y",
            "--delimiter",
            ";",
        ],
    );
    assert!(described.status.success(), "{}", text(&described.stderr));
    assert_eq!(text(&described.stderr), "");
    let tariff = "semicolon_comma_ddmmyyyy";
    assert_eq!(
        lookup_deck(
            dir.path(),
            tariff,
            Some("2026-06-01"),
            "442071234567\n4412345\n33612\n3312\n4930\n"
        ),
        format!(
            "{LOOKUP_HEADER}442071234567,4420,United Kingdom - London,0.011,0.0,60,60\n\
             4412345,44,United Kingdom,0.0123,0.0,60,60\n\
             33612,336,France; Mobile,0.042,0.0,1,0\n\
             3312,33,France,0.019,0.01,1,0\n\
             4930,49,Germany,0.021,0.0,30,30\n"
        )
    );
    // 01.12.2099 is the first of December, not the twelfth of January.
    for (at, rate) in [("2099-11-30 23:59:59", "0.0123"), ("2099-12-01", "0.015")] {
        assert_eq!(
            lookup_deck(dir.path(), tariff, Some(at), "4412345\n"),
            format!("{LOOKUP_HEADER}4412345,44,United Kingdom,{rate},0.0,60,60\n"),
            "{at}"
        );
    }
    // The delimiter is found from the header line when not given.
    let auto = compile_deck(
        dir.path(),
        &deck,
        &["--decimal-comma", "--date-format", "%d.%m.%Y"],
    );
    assert!(auto.status.success(), "{}", text(&auto.stderr));
}

#[test]
fn a_windows_1252_deck_compiles_with_its_encoding_named_and_is_refused_as_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("windows1252.csv");
    let plain = compile_deck(dir.path(), &deck, &[]);
    assert_eq!(plain.status.code(), Some(1));
    let stderr = text(&plain.stderr);
    assert!(
        stderr.contains(&format!(
            "{deck}:2:2: destination is not valid UTF-8 (invalid byte at offset 1)\n"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("name it with --encoding"), "{stderr}");
    for label in ["windows-1252", "latin1"] {
        let named = compile_deck(dir.path(), &deck, &["--encoding", label]);
        assert!(named.status.success(), "{}", text(&named.stderr));
        assert_eq!(
            lookup_deck(dir.path(), "windows1252", None, "2251\n2621\n5901\n"),
            format!(
                "{LOOKUP_HEADER}2251,225,Côte d'Ivoire,0.089,0.0,1,0\n\
                 2621,262,Réunion,0.12,0.0,1,0\n\
                 5901,590,Saint-Barthélemy,0.15,0.0,1,0\n"
            )
        );
    }
}

#[test]
fn a_deck_with_a_byte_order_mark_and_crlf_compiles_and_names_physical_lines() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("bom_crlf.csv");
    let result = compile_deck(dir.path(), &deck, &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(text(&result.stderr), "");
    // Its last row is dated in ISO 8601 with T and Z.
    assert_eq!(
        lookup_deck(dir.path(), "bom_crlf", Some("2026-12-01"), "37061\n3711\n"),
        format!("{LOOKUP_HEADER}37061,3706,Lithuania Mobile,0.045,0.0,1,0\n3711,371,Latvia,0.023,0.0,1,0\n")
    );
    assert_eq!(
        lookup_deck(
            dir.path(),
            "bom_crlf",
            Some("2026-11-30 23:59:59"),
            "3711\n"
        ),
        format!("{LOOKUP_HEADER}3711,,,,,,\n")
    );
    let broken = compile_one(
        dir.path(),
        "deck.csv",
        b"\xEF\xBB\xBFprefix,rate\r\n370,1\r\n\r\n371,-1\r\n",
    );
    assert_eq!(broken.status.code(), Some(1));
    let shown = dir.path().join("deck.csv").display().to_string();
    assert!(text(&broken.stderr)
        .starts_with(&format!("{shown}:4:2: rate \"-1\" must not be negative\n")));
}

#[test]
fn a_utf16_deck_with_a_byte_order_mark_compiles_and_one_without_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // Excel's "Unicode Text": UTF-16LE, tab-separated, with Code / Code Name / Price headers.
    let deck = vendor_deck("utf16le_tab.csv");
    for options in [&[][..], &["--encoding", "utf-16", "--delimiter", "tab"]] {
        let result = compile_deck(dir.path(), &deck, options);
        assert!(result.status.success(), "{}", text(&result.stderr));
        assert_eq!(
            lookup_deck(dir.path(), "utf16le_tab", None, "8190123\n811\n"),
            format!("{LOOKUP_HEADER}8190123,8190,Japan Mobile 日本,0.088,0.01,6,6\n811,81,Japan,0.033,0.01,6,6\n")
        );
    }
    let bytes = std::fs::read(&deck).unwrap();
    let result = compile_one(dir.path(), "nobom.csv", &bytes[2..]);
    assert_eq!(
        result.status.code(),
        Some(1),
        "read as UTF-8 it has NUL bytes everywhere"
    );
    assert!(
        text(&result.stderr).contains("is the file UTF-16 without a byte-order mark?"),
        "{}",
        text(&result.stderr)
    );
    let input = dir.path().join("nobom.csv");
    let result = compile(&[
        "-o",
        dir.path().join("out.ratel").to_str().unwrap(),
        "--encoding",
        "utf-16",
        input.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    assert!(
        text(&result.stderr).starts_with(&format!(
            "{}:1:1: encoding utf-16 needs a byte-order mark",
            input.display()
        )),
        "{}",
        text(&result.stderr)
    );
    let le = compile(&[
        "-o",
        dir.path().join("out.ratel").to_str().unwrap(),
        "--encoding",
        "utf-16le",
        input.to_str().unwrap(),
    ]);
    assert!(le.status.success(), "{}", text(&le.stderr));
}

#[test]
fn a_header_naming_a_field_twice_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let result = compile_one(
        dir.path(),
        "deck.csv",
        b"Code,Destination,Dial Code,Price\n44,UK,44,0.01\n",
    );
    assert_eq!(result.status.code(), Some(1));
    let shown = dir.path().join("deck.csv").display().to_string();
    assert_eq!(
        text(&result.stderr),
        format!(
            "{shown}:1:3: column \"Dial Code\" names prefix again: column 1 \"Code\" already does\n\
             tariff-compile: 1 error found; {} was not written\n",
            dir.path().join("out.ratel").display()
        )
    );
}

#[test]
fn column_options_name_headers_no_carrier_name_covers() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("custom_headers.csv");
    let plain = compile_deck(
        dir.path(),
        &deck,
        &["--decimal-comma", "--date-format", "%d.%m.%Y"],
    );
    assert_eq!(plain.status.code(), Some(1));
    let stderr = text(&plain.stderr);
    assert!(
        stderr.contains(&format!("{deck}:1:1: missing required column \"rate\"")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{deck}:1:4: column \"Valid From\" is not used, but its name suggests a date"
        )),
        "{stderr}"
    );
    let named = compile_deck(
        dir.path(),
        &deck,
        &[
            "--decimal-comma",
            "--date-format",
            "%d.%m.%Y",
            "--column",
            "rate=Tarif EUR",
            "--column",
            "effective_from=valid from",
            "--column",
            "destination=Zone",
        ],
    );
    assert!(named.status.success(), "{}", text(&named.stderr));
    assert_eq!(
        text(&named.stderr),
        format!("warning: {deck}:1:5: unknown column \"Country\" is ignored\n")
    );
    let tariff = "custom_headers";
    assert_eq!(
        lookup_deck(dir.path(), tariff, Some("2026-06-01"), "4369\n431\n"),
        format!(
            "{LOOKUP_HEADER}4369,436,Austria Mobile,0.052,0.0,1,0\n431,43,Austria,0.017,0.0,1,0\n"
        )
    );
    assert_eq!(
        lookup_deck(dir.path(), tariff, Some("2026-05-31 23:59:59"), "431\n"),
        format!("{LOOKUP_HEADER}431,,,,,,\n")
    );
    // A --column whose header the deck lacks is an input error, not a silent default.
    let absent = compile_deck(dir.path(), &deck, &["--column", "rate=Price EUR"]);
    assert_eq!(absent.status.code(), Some(1));
    assert!(
        text(&absent.stderr).contains(&format!(
            "{deck}:1:1: --column rate=\"Price EUR\": the header has no column \"Price EUR\""
        )),
        "{}",
        text(&absent.stderr)
    );
}

#[test]
fn an_unclosed_quote_is_reported_at_the_line_where_it_opened_and_later_lines_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("unclosed_quote.csv");
    let result = compile_deck(dir.path(), &deck, &[]);
    assert_eq!(result.status.code(), Some(1));
    assert_eq!(
        text(&result.stderr),
        format!(
            "{deck}:4:2: quote opened here is not closed on this line (a field may not span lines)\n\
             {deck}:6:3: rate \"abc\" is not a decimal number (expected digits with an optional '.' \
             fraction, like 0.05)\n\
             tariff-compile: 2 errors found; {} was not written\n",
            dir.path().join("out.ratel").display()
        )
    );
}

#[test]
fn an_effective_date_column_keeps_future_rates_out_of_force() {
    // Header Prefix,Destination,Rate,Effective Date: this deck once compiled with a warning
    // that "Effective Date" was ignored, and the USA rate from 2099 applied at once.
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("effective_date.csv");
    let result = compile_deck(dir.path(), &deck, &[]);
    assert!(result.status.success(), "{}", text(&result.stderr));
    assert_eq!(text(&result.stderr), "", "no column may be ignored");
    let tariff = "effective_date";
    let numbers = "15551234567\n442071234567\n33123\n";
    let before = format!("{LOOKUP_HEADER}15551234567,,,,,,\n442071234567,44,United Kingdom,0.0123,0.0,1,0\n33123,33,France,0.019,0.0,1,0\n");
    assert_eq!(
        lookup_deck(dir.path(), tariff, None, numbers),
        before,
        "now"
    );
    assert_eq!(
        lookup_deck(dir.path(), tariff, Some("2099-11-30 23:59:59"), numbers),
        before
    );
    assert_eq!(
        lookup_deck(dir.path(), tariff, Some("2099-12-01"), "15551234567\n"),
        format!("{LOOKUP_HEADER}15551234567,1,USA,0.005,0.0,1,0\n")
    );
}

#[test]
fn an_unused_header_that_looks_like_a_date_is_an_error_until_ignored_knowingly() {
    let dir = tempfile::tempdir().unwrap();
    let csv = b"Prefix,Rate,Valid Until,Notes\n44,0.01,2027-01-01,x\n";
    let result = compile_one(dir.path(), "deck.csv", csv);
    assert_eq!(result.status.code(), Some(1));
    let shown = dir.path().join("deck.csv").display().to_string();
    let stderr = text(&result.stderr);
    assert!(
        stderr.contains(&format!(
            "{shown}:1:3: column \"Valid Until\" is not used, but its name suggests a date or time, \
             and ignoring it could bill calls wrong: name its field with --column FIELD=\"Valid Until\", \
             or drop it knowingly with --ignore-column \"Valid Until\"\n"
        )),
        "{stderr}"
    );
    let input = dir.path().join("deck.csv");
    let ignored = compile(&[
        "-o",
        dir.path().join("out.ratel").to_str().unwrap(),
        "--ignore-column",
        "Valid Until",
        input.to_str().unwrap(),
    ]);
    assert!(ignored.status.success(), "{}", text(&ignored.stderr));
    assert_eq!(
        text(&ignored.stderr),
        format!(
            "warning: {shown}:1:3: column \"Valid Until\" is ignored: --ignore-column\n\
             warning: {shown}:1:4: unknown column \"Notes\" is ignored\n"
        )
    );
}

#[test]
fn malformed_deck_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let deck = vendor_deck("effective_date.csv");
    for (options, message) in [
        (&["--delimiter", "::"][..], "delimiter \"::\" is not one of"),
        (&["--encoding", "ebcdic-ish"], "unknown encoding"),
        (
            &["--date-format", "dd.mm.yyyy"],
            "write day-month-year as %d.%m.%Y",
        ),
        (&["--date-format", "%d.%m.%y"], "two-digit year"),
        (&["--column", "rate"], "expected FIELD=HEADER"),
        (&["--column", "cost=X"], "unknown field \"cost\""),
        (
            &["--column", "rate=X", "--column", "rate=Y"],
            "names field rate twice",
        ),
        (
            &["--column", "rate=X", "--ignore-column", "x"],
            "both --column and --ignore-column",
        ),
    ] {
        let result = compile_deck(dir.path(), &deck, options);
        assert_eq!(result.status.code(), Some(2), "{options:?}");
        assert!(
            text(&result.stderr).contains(message),
            "{options:?}: {}",
            text(&result.stderr)
        );
    }
    assert!(!dir.path().join("out.ratel").exists());
}

/// Every mass tool's `--help` says what it reads and what it writes, and exits 0.
#[test]
fn help_says_what_each_tool_reads_and_writes() {
    for (exe, reads, writes) in [
        (
            env!("CARGO_BIN_EXE_tariff-lookup"),
            "reads numbers on stdin",
            "writes CSV to stdout",
        ),
        (
            env!("CARGO_BIN_EXE_tariff-rate"),
            "reads CDRs on stdin",
            "writes the same rows to stdout",
        ),
        (
            env!("CARGO_BIN_EXE_tariff-diff"),
            "reads OLD and NEW",
            "writes CSV to stdout",
        ),
        (
            env!("CARGO_BIN_EXE_tariff-lcr"),
            "reads numbers on stdin",
            "writes CSV to stdout",
        ),
    ] {
        let output = Command::new(exe).arg("--help").output().unwrap();
        let help = text(&output.stdout).replace('\n', " ");
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(output.status.success(), "{exe}");
        assert!(
            help.contains(reads) && help.contains(writes),
            "{exe}: {help}"
        );
    }
}

/// Runs `exe` with `args`, `stdin` piped in.
fn run_tool(exe: &str, args: &[&str], stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    match input.write_all(stdin) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("writing stdin: {e}"),
        _ => {}
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Issue 18: the three tools take the server's `[numbers]` rules as options: the dialled
/// forms of one number rate alike, an extension shorter than `--min-digits` is not rated, the
/// number is written as given; a bad value is a usage error (exit 2).
#[test]
fn the_number_options_normalise_numbers_in_every_tool() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = demo_artifact(dir.path());
    let a = artifact.to_str().unwrap();
    let rules = [
        "--international-prefix",
        "00",
        "--international-prefix",
        "011",
        "--national-prefix",
        "0",
        "--country-code",
        "370",
        "--min-digits",
        "5",
    ];
    let forms = "37061234567\n0037061234567\n01137061234567\n+37061234567\n061234567\n3706\n";
    let args = [&["-a", a, "-t", "retail", "--at", "2026-11-26"][..], &rules].concat();
    let looked = lookup(&args, forms.as_bytes());
    assert!(looked.status.success(), "{}", text(&looked.stderr));
    let out = text(&looked.stdout);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    let tail = |row: &str| row.split_once(',').unwrap().1.to_owned();
    for (row, form) in rows[1..5].iter().zip(forms.lines().skip(1)) {
        assert!(row.starts_with(&format!("{form},")), "{row}");
        assert_eq!(tail(row), tail(rows[0]), "{form}");
    }
    assert_eq!(rows[5], "3706,,,,,,");
    // Without the options, 3706 is priced (as before) and 0037... is not.
    let plain = lookup(
        &["-a", a, "-t", "retail", "--at", "2026-11-26"],
        b"3706\n0037061234567\n",
    );
    let plain = text(&plain.stdout);
    assert!(!plain.contains("3706,,"), "{plain}");
    assert!(plain.contains("0037061234567,,"), "{plain}");

    let cdrs = format!("number,billsec\n{}", forms.replace('\n', ",60\n"));
    let rated = run_tool(
        env!("CARGO_BIN_EXE_tariff-rate"),
        &[&["-a", a, "-t", "retail", "--at", "2026-11-26"][..], &rules].concat(),
        cdrs.as_bytes(),
    );
    assert!(rated.status.success(), "{}", text(&rated.stderr));
    assert_eq!(
        text(&rated.stderr),
        "tariff-rate: 6 rows: 5 rated, 1 unrated (no rate), 0 bad\n"
    );
    let out = text(&rated.stdout);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    for row in &rows[1..5] {
        assert_eq!(
            row.split_once(',').unwrap().1,
            rows[0].split_once(',').unwrap().1
        );
    }

    let ranked = run_tool(
        env!("CARGO_BIN_EXE_tariff-lcr"),
        &[
            &[
                "-a",
                a,
                "--sell",
                "retail",
                "--supplier",
                "wholesale",
                "--at",
                "2026-11-26",
            ][..],
            &rules,
        ]
        .concat(),
        forms.as_bytes(),
    );
    assert!(ranked.status.success(), "{}", text(&ranked.stderr));
    assert!(
        text(&ranked.stderr).starts_with("tariff-lcr: 6 numbers: 5 with a sell rate"),
        "{}",
        text(&ranked.stderr)
    );

    for (bad, message) in [
        (
            &["--international-prefix", "+"][..],
            "--international-prefix \"+\" must be 1 to 20 digits",
        ),
        (
            &["--country-code", "3x"],
            "--country-code \"3x\" must be 1 to 20 digits",
        ),
        (&["--min-digits", "21"], "--min-digits must be 0 to 20"),
    ] {
        let args = [&["-a", a, "-t", "retail"][..], bad].concat();
        let refused = lookup(&args, b"");
        assert_eq!(refused.status.code(), Some(2), "{bad:?}");
        assert!(
            text(&refused.stderr).contains(message),
            "{}",
            text(&refused.stderr)
        );
    }
}
