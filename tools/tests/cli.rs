//! The tools as an import pipeline runs them: real binaries, real files, exit codes and
//! every byte of their output.

// A test that cannot set itself up should stop loudly; helpers here unwrap like tests do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

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
    let tariffs = repo().join("fixtures/demo/tariffs");
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
    }
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
        assert_eq!(stderr.lines().next(), Some(expected.as_str()), "{stderr}");
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
