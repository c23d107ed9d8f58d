//! `ratel-gen` output is valid input for every Ratel reader, and the same seed gives the
//! same bytes.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use ratel_engine::accounts::{self, AccountFiles};
use ratel_engine::artifact::Artifact;

/// Runs `ratel-gen -o DIR ARGS...`, which must succeed.
fn ratel_gen(dir: &std::path::Path, args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .args(["-o", dir.to_str().unwrap()])
        .args(args)
        .status()
        .unwrap();
    assert!(status.success());
}

fn generate(dir: &std::path::Path, seed: &str) {
    ratel_gen(
        dir,
        &[
            "--rows",
            "20000",
            "--numbers",
            "1000",
            "--users",
            "3000",
            "--cards",
            "2500",
            "--seed",
            seed,
        ],
    );
}

#[test]
fn generated_datasets_compile_and_load_and_are_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    generate(dir.path(), "7");
    let artifact_path = dir.path().join("deck.ratel");
    let compiled = Command::new(env!("CARGO_BIN_EXE_tariff-compile"))
        .args(["-o", artifact_path.to_str().unwrap()])
        .arg(dir.path().join("wholesale.csv"))
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    assert!(String::from_utf8_lossy(&compiled.stdout).contains("20000 rows"));

    let artifact = Artifact::open(&artifact_path).unwrap();
    let files = AccountFiles {
        users: dir.path().join("users.csv"),
        cards: dir.path().join("cards.csv"),
        card_groups: dir.path().join("card_groups.csv"),
        currencies: dir.path().join("currencies.csv"),
    };
    let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
    let (loaded, warnings) = accounts::load(&files, "USD", &has_tariff)
        .map_err(|failure| failure.errors.to_string())
        .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    // The admin, an accountant, three resellers (one per thousand) and the users.
    assert_eq!(loaded.users().len(), 3000 + 2 + 3);
    assert_eq!(loaded.cards().len(), 2500);
    assert!(loaded
        .cards()
        .iter()
        .all(|c| loaded.card_by_pin(&c.pin).is_some()));

    let again = tempfile::tempdir().unwrap();
    generate(again.path(), "7");
    for name in [
        "wholesale.csv",
        "numbers.txt",
        "users.csv",
        "cards.csv",
        "card_groups.csv",
    ] {
        assert_eq!(
            std::fs::read(dir.path().join(name)).unwrap(),
            std::fs::read(again.path().join(name)).unwrap(),
            "{name} differs between two runs with one seed"
        );
    }
}

/// Writes an NPA-NXX deck of `rows` rows into `dir`.
fn generate_npanxx(dir: &std::path::Path, rows: &str) {
    ratel_gen(
        dir,
        &[
            "--shape",
            "npanxx",
            "--rows",
            rows,
            "--numbers",
            "100",
            "--users",
            "5",
            "--cards",
            "5",
        ],
    );
}

#[test]
fn an_npanxx_deck_has_its_shape_and_compiles_to_under_35_percent_of_its_csv() {
    let dir = tempfile::tempdir().unwrap();
    generate_npanxx(dir.path(), "40000");
    let deck = dir.path().join("wholesale.csv");
    let mut reader = csv::Reader::from_path(&deck).unwrap();
    let mut prefixes = std::collections::HashSet::new();
    let mut rates = std::collections::HashSet::new();
    let mut destinations = std::collections::HashSet::new();
    let mut terms = std::collections::HashSet::new();
    let mut destination_bytes = 0;
    for row in reader.records() {
        let row = row.unwrap();
        let prefix = &row[0];
        assert!(
            prefix.len() == 7
                && prefix.starts_with('1')
                && prefix.bytes().all(|b| b.is_ascii_digit()),
            "{prefix}"
        );
        let decimals = row[2].split('.').nth(1).unwrap().len();
        assert!((4..=6).contains(&decimals), "{}", &row[2]);
        prefixes.insert(prefix.to_owned());
        rates.insert(row[2].to_owned());
        destination_bytes += row[1].len();
        destinations.insert(row[1].to_owned());
        terms.insert((row[3].to_owned(), row[4].to_owned(), row[5].to_owned()));
    }
    // The proportions of the real 316,867-row deck: one rate per ~4.9 rows, one destination
    // per ~7.7, eight sets of terms, destinations of ~13.6 bytes.
    let rows = prefixes.len() as f64;
    assert_eq!(prefixes.len(), 40_000);
    assert!(
        (0.18..0.23).contains(&(rates.len() as f64 / rows)),
        "{} rates",
        rates.len()
    );
    assert!(
        (0.11..0.15).contains(&(destinations.len() as f64 / rows)),
        "{} destinations",
        destinations.len()
    );
    assert_eq!(terms.len(), 8);
    let mean = destination_bytes as f64 / rows;
    assert!(
        (12.5..15.0).contains(&mean),
        "destinations average {mean} bytes"
    );

    let artifact_path = dir.path().join("deck.ratel");
    let compiled = Command::new(env!("CARGO_BIN_EXE_tariff-compile"))
        .args(["-o", artifact_path.to_str().unwrap()])
        .arg(&deck)
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let csv_len = std::fs::metadata(&deck).unwrap().len();
    let artifact_len = std::fs::metadata(&artifact_path).unwrap().len();
    assert!(
        artifact_len * 100 <= csv_len * 35,
        "artifact {artifact_len} bytes is over 35% of the CSV's {csv_len}"
    );
    assert!(Artifact::open(&artifact_path).is_ok());

    let again = tempfile::tempdir().unwrap();
    generate_npanxx(again.path(), "40000");
    assert_eq!(
        std::fs::read(&deck).unwrap(),
        std::fs::read(again.path().join("wholesale.csv")).unwrap(),
        "two runs with one seed differ"
    );
}

#[test]
fn an_npanxx_deck_larger_than_the_numbering_plan_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .args(["-o", dir.path().to_str().unwrap(), "--shape", "npanxx"])
        .args(["--rows", "576001"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at most 576000 rows"));
    assert!(!dir.path().join("wholesale.csv").exists());
}

/// `--cdrs` writes CDRs that `tariff-rate` prices whole: every row well formed, about nine
/// in ten with a rate (the others dial a number no prefix matches), the same bytes each time.
#[test]
fn generated_cdrs_are_priced_by_tariff_rate_without_a_bad_row() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    for dir in &dirs {
        ratel_gen(
            dir.path(),
            &[
                "--rows",
                "5000",
                "--numbers",
                "10",
                "--users",
                "10",
                "--cards",
                "10",
                "--cdrs",
                "2000",
            ],
        );
    }
    let cdrs = std::fs::read_to_string(dirs[0].path().join("cdrs.csv")).unwrap();
    assert_eq!(
        cdrs,
        std::fs::read_to_string(dirs[1].path().join("cdrs.csv")).unwrap()
    );
    assert_eq!(cdrs.lines().next(), Some(ratel_tools::gen::CDR_HEADER));
    assert_eq!(cdrs.lines().count(), 2001);

    let dir = dirs[0].path();
    let artifact = dir.join("deck.ratel");
    let compiled = Command::new(env!("CARGO_BIN_EXE_tariff-compile"))
        .args([
            "-o",
            artifact.to_str().unwrap(),
            dir.join("wholesale.csv").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(compiled.status.success());
    let rated = Command::new(env!("CARGO_BIN_EXE_tariff-rate"))
        .args(["-a", artifact.to_str().unwrap(), "-t", "wholesale"])
        .stdin(std::fs::File::open(dir.join("cdrs.csv")).unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&rated.stderr);
    assert!(rated.status.success(), "{stderr}");
    let out = String::from_utf8(rated.stdout).unwrap();
    let priced = out
        .lines()
        .skip(1)
        .filter(|l| !l.ends_with(",,,,,,,,"))
        .count();
    assert_eq!(out.lines().count(), 2001);
    assert!((1600..2000).contains(&priced), "{priced} of 2000 priced");
}
