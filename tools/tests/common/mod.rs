//! What the tool tests share: random decks, compiled for real, and the by-hand answers the
//! tools are checked against (a scan of the deck's rows), and a way to run a binary.

// Each test file uses its own part of this module.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use ratel_engine::artifact::Artifact;
use ratel_engine::compile::{compile, TariffSource};
use ratel_engine::money::Decimal;
use ratel_engine::time::Timestamp;

/// One deck row: prefix, rate and fee in thousandths, increment, minimum, effective day.
pub type Row = (String, u32, u32, u32, u32, Option<u8>);

pub fn day(d: u8) -> Timestamp {
    Timestamp(Timestamp::parse("2026-01-01").unwrap().0 + i64::from(d) * 86_400)
}

pub fn milli(n: u32) -> Decimal {
    Decimal::new(i128::from(n), 3)
}

/// A random deck, one row per (prefix, date): prefixes of 1-8 digits from a small alphabet,
/// so that decks share many and prefixes nest and neighbour inside one slice of the prefix
/// space (`1200`, `12001`, `120010`, `12002`), and now and then one of 20 digits.
pub fn deck() -> impl Strategy<Value = Vec<Row>> {
    proptest::collection::vec(
        (
            prop_oneof![
                9 => "[1-3][0-2]{0,7}",
                1 => "[1-3][0-2]{19}",
            ],
            0u32..2000,
            0u32..50,
            1u32..61,
            0u32..61,
            proptest::option::of(0u8..20),
        ),
        1..60,
    )
    .prop_map(|rows| {
        // One row per (prefix, date): the compiler refuses repeats.
        let mut seen = std::collections::HashSet::new();
        rows.into_iter()
            .filter(|r| seen.insert((r.0.clone(), r.5)))
            .collect()
    })
}

/// The deck's CSV text.
pub fn deck_csv(rows: &[Row]) -> String {
    let mut csv = String::from(
        "prefix,destination,rate,connection_fee,increment_s,min_time_s,effective_from\n",
    );
    for (prefix, rate, fee, inc, min, date) in rows {
        let date = date.map(|d| day(d).to_string()).unwrap_or_default();
        csv.push_str(&format!(
            "{prefix},D{prefix},{},{},{inc},{min},{date}\n",
            milli(*rate),
            milli(*fee)
        ));
    }
    csv
}

/// Compiles named decks (each in `currency`) into one artifact, through the real compiler.
pub fn compile_decks(decks: &[(&str, &str, &[Row])]) -> Artifact {
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<TariffSource> = decks
        .iter()
        .map(|(name, currency, rows)| {
            let path = dir.path().join(format!("{name}.csv"));
            std::fs::write(&path, deck_csv(rows)).unwrap();
            TariffSource {
                name: (*name).into(),
                currency: (*currency).into(),
                path,
            }
        })
        .collect();
    Artifact::from_bytes(compile(&sources, |_| {}).unwrap().bytes).unwrap()
}

/// The row exactly `prefix` has in force at `at`: the newest dated row not after `at`,
/// else the undated one.
pub fn in_force<'r>(rows: &'r [Row], prefix: &str, at: Timestamp) -> Option<&'r Row> {
    let versions = rows.iter().filter(|r| r.0 == prefix);
    let dated = versions
        .clone()
        .filter(|r| r.5.is_some_and(|d| day(d) <= at))
        .max_by_key(|r| r.5);
    dated.or_else(|| versions.clone().find(|r| r.5.is_none()))
}

/// The row a scan of the deck picks for `number` at `at`: the longest prefix of its digits
/// (the first 20) with a row in force.
pub fn longest<'r>(rows: &'r [Row], number: &str, at: Timestamp) -> Option<&'r Row> {
    let digits: String = number
        .chars()
        .filter(char::is_ascii_digit)
        .take(20)
        .collect();
    (1..=digits.len())
        .rev()
        .find_map(|len| in_force(rows, &digits[..len], at))
}

/// Runs the real `tariff-compile` with `args`; it must succeed. Returns what it printed.
pub fn tariff_compile<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let compiled = Command::new(env!("CARGO_BIN_EXE_tariff-compile"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&compiled.stderr),
        args = args.iter().map(AsRef::as_ref).collect::<Vec<_>>()
    );
    String::from_utf8(compiled.stdout).unwrap()
}

/// Runs binary `exe` with `args` on `stdin`: its exit code, stdout and stderr.
pub fn run(exe: &str, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A tool that exits before reading (a usage error) closes the pipe: not a failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}
