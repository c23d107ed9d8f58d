//! `ratel-gen` output is valid input for every Ratel reader, and the same seed gives the
//! same bytes.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

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
    let printed = common::tariff_compile(&[
        std::ffi::OsStr::new("-o"),
        artifact_path.as_ref(),
        dir.path().join("wholesale.csv").as_ref(),
    ]);
    assert!(printed.contains("20000 rows"));

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
    assert_eq!(
        cdrs.lines().next(),
        Some(ratel_tools::ratel_gen::CDR_HEADER)
    );
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

/// One row of a generated deck: prefix, rate in units of 10^-6, terms, effective date.
#[derive(Debug, Clone, PartialEq)]
struct DeckRow {
    prefix: String,
    destination: String,
    rate: u64,
    terms: (String, String, String),
    effective_from: String,
}

/// A decimal of at most 6 places in units of 10^-6 (the test's own reading, exact).
fn micro_units(text: &str) -> u64 {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    assert!(fraction.len() <= 6, "{text}");
    let fraction: u64 = format!("{fraction:0<6}").parse().unwrap();
    whole.parse::<u64>().unwrap() * 1_000_000 + fraction
}

fn read_deck(path: &std::path::Path) -> Vec<DeckRow> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        reader.headers().unwrap(),
        vec![
            "prefix",
            "destination",
            "rate",
            "connection_fee",
            "increment_s",
            "min_time_s",
            "effective_from"
        ]
    );
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            DeckRow {
                prefix: record[0].to_owned(),
                destination: record[1].to_owned(),
                rate: micro_units(&record[2]),
                terms: (
                    record[3].to_owned(),
                    record[4].to_owned(),
                    record[5].to_owned(),
                ),
                effective_from: record[6].to_owned(),
            }
        })
        .collect()
}

/// The row of each prefix in force at `at` (`YYYY-MM-DD`): the newest dated row on or
/// before it, else the undated row; a prefix with neither is left out.
fn in_force(rows: &[DeckRow], at: &str) -> std::collections::HashMap<String, DeckRow> {
    let mut out: std::collections::HashMap<String, DeckRow> = std::collections::HashMap::new();
    for row in rows {
        if row.effective_from.as_str() > at {
            continue;
        }
        match out.get(&row.prefix) {
            Some(held) if held.effective_from >= row.effective_from => {}
            _ => {
                out.insert(row.prefix.clone(), row.clone());
            }
        }
    }
    out
}

fn distinct_prefixes(rows: &[DeckRow]) -> std::collections::HashSet<&str> {
    rows.iter().map(|r| r.prefix.as_str()).collect()
}

/// `part / whole` must lie in `range`; the message names the measure.
fn assert_share(what: &str, part: usize, whole: usize, range: std::ops::RangeInclusive<f64>) {
    let share = part as f64 / whole as f64;
    assert!(
        range.contains(&share),
        "{what}: {part} of {whole} ({:.2}%) is outside {:.1}-{:.1}%",
        share * 100.0,
        range.start() * 100.0,
        range.end() * 100.0
    );
}

/// Compiles `inputs` (`[NAME=]FILE` arguments) with the real tariff-compile; it must succeed.
fn compile(dir: &std::path::Path, out: &str, inputs: &[String]) {
    let mut args = vec!["-o".to_owned(), dir.join(out).to_str().unwrap().to_owned()];
    args.extend_from_slice(inputs);
    common::tariff_compile(&args);
}

const RELATED: &[&str] = &[
    "--rows",
    "20000",
    "--numbers",
    "100",
    "--users",
    "5",
    "--cards",
    "5",
    "--suppliers",
    "3",
    "--next",
];

/// `--suppliers` and `--next` write decks that compile, the same bytes for the same
/// arguments, and leave the other files as they are without them.
#[test]
fn supplier_and_next_decks_compile_and_are_reproducible() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let output = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .args(["-o", dirs[0].path().to_str().unwrap()])
        .args(RELATED)
        .output()
        .unwrap();
    assert!(output.status.success());
    let said = String::from_utf8(output.stdout).unwrap();
    for name in [
        "supplier_1.csv",
        "supplier_2.csv",
        "supplier_3.csv",
        "wholesale_next.csv",
    ] {
        assert!(said.contains(name), "the closing line omits {name}: {said}");
    }
    assert!(!dirs[0].path().join("supplier_4.csv").exists());
    ratel_gen(dirs[1].path(), RELATED);
    let plain = tempfile::tempdir().unwrap();
    ratel_gen(plain.path(), &RELATED[..RELATED.len() - 3]);
    for name in [
        "wholesale.csv",
        "supplier_1.csv",
        "supplier_2.csv",
        "supplier_3.csv",
        "wholesale_next.csv",
        "numbers.txt",
    ] {
        let bytes = std::fs::read(dirs[0].path().join(name)).unwrap();
        assert!(!bytes.is_empty());
        assert_eq!(
            bytes,
            std::fs::read(dirs[1].path().join(name)).unwrap(),
            "{name} differs between two runs with the same arguments"
        );
    }
    for name in ["wholesale.csv", "numbers.txt", "users.csv"] {
        assert_eq!(
            std::fs::read(dirs[0].path().join(name)).unwrap(),
            std::fs::read(plain.path().join(name)).unwrap(),
            "{name} changes with --suppliers/--next"
        );
    }
    assert!(!plain.path().join("supplier_1.csv").exists());
    assert!(!plain.path().join("wholesale_next.csv").exists());

    let dir = dirs[0].path();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    for (number, name) in ["supplier_1.csv", "supplier_2.csv", "supplier_3.csv"]
        .iter()
        .enumerate()
    {
        compile(dir, &format!("s{number}.ratel"), &[path(name)]);
    }
    compile(
        dir,
        "next.ratel",
        &[format!("wholesale={}", path("wholesale_next.csv"))],
    );
    // The artifact tariff-lcr reads: the sell deck and its suppliers together.
    compile(
        dir,
        "all.ratel",
        &[
            "wholesale.csv",
            "supplier_1.csv",
            "supplier_2.csv",
            "supplier_3.csv",
        ]
        .map(path),
    );
}

/// Each supplier shares most of the sell deck's prefixes, adds a few of its own, is cheaper
/// than the sell rate most of the time and not everywhere the cheapest.
#[test]
fn supplier_decks_share_most_prefixes_at_their_own_rates() {
    let dir = tempfile::tempdir().unwrap();
    ratel_gen(dir.path(), RELATED);
    let sell = read_deck(&dir.path().join("wholesale.csv"));
    let sell_prefixes = distinct_prefixes(&sell);
    let sell_now = in_force(&sell, "");
    let mut supplier_rates: Vec<std::collections::HashMap<String, DeckRow>> = Vec::new();
    for number in 1..=3 {
        let rows = read_deck(&dir.path().join(format!("supplier_{number}.csv")));
        let prefixes = distinct_prefixes(&rows);
        let shared = prefixes.intersection(&sell_prefixes).count();
        assert_share("shared prefixes", shared, sell_prefixes.len(), 0.85..=0.95);
        assert_share(
            "extra breakouts",
            prefixes.len() - shared,
            sell_prefixes.len(),
            0.01..=0.03,
        );
        assert!(
            rows.iter()
                .filter(|r| !sell_prefixes.contains(r.prefix.as_str()))
                .all(|r| sell_prefixes.contains(&r.prefix[..r.prefix.len() - 1])),
            "an extra breakout extends a sell prefix"
        );
        let dated = rows.iter().filter(|r| !r.effective_from.is_empty()).count();
        assert_share("dated rows", dated, rows.len(), 0.002..=0.01);
        let undated = in_force(&rows, "");
        let (mut cheaper, mut other_terms, mut compared) = (0, 0, 0);
        for (prefix, row) in &undated {
            let Some(sold) = sell_now.get(prefix) else {
                continue;
            };
            compared += 1;
            // 40-110% of the sell rate, rounded down to the deck's 4 decimals.
            assert!(
                row.rate * 100 <= sold.rate * 110 && (row.rate + 100) * 100 > sold.rate * 40,
                "{prefix}: {} against {}",
                row.rate,
                sold.rate
            );
            cheaper += usize::from(row.rate < sold.rate);
            other_terms += usize::from(row.terms != sold.terms);
        }
        assert_eq!(compared, shared);
        assert_share("cheaper than the sell rate", cheaper, compared, 0.8..=1.0);
        assert_share("other terms", other_terms, compared, 0.001..=0.5);
        supplier_rates.push(undated);
    }
    // Which supplier is cheapest changes by destination: each is cheapest somewhere, and
    // none everywhere.
    let mut cheapest = [0usize; 3];
    let mut everywhere = 0;
    for prefix in &sell_prefixes {
        let rates: Option<Vec<u64>> = supplier_rates
            .iter()
            .map(|s| s.get(*prefix).map(|r| r.rate))
            .collect();
        if let Some(rates) = rates {
            everywhere += 1;
            let best = (0..3).min_by_key(|&i| rates[i]).unwrap();
            cheapest[best] += 1;
        }
    }
    assert!(
        cheapest.iter().all(|&n| n > 0 && n < everywhere),
        "cheapest counts {cheapest:?} of {everywhere}"
    );
}

/// The next version closes ~2% of prefixes, opens ~2%, raises and lowers ~10% each, changes
/// the terms of ~1%; dated increases give both short and long notices.
#[test]
fn the_next_deck_changes_prices_in_the_stated_shares() {
    let dir = tempfile::tempdir().unwrap();
    ratel_gen(dir.path(), RELATED);
    let old = read_deck(&dir.path().join("wholesale.csv"));
    let new = read_deck(&dir.path().join("wholesale_next.csv"));
    let (old_prefixes, new_prefixes) = (distinct_prefixes(&old), distinct_prefixes(&new));
    let base = old_prefixes.len();
    assert_share(
        "closed",
        old_prefixes.difference(&new_prefixes).count(),
        base,
        0.01..=0.03,
    );
    assert_share(
        "new",
        new_prefixes.difference(&old_prefixes).count(),
        base,
        0.01..=0.03,
    );
    let at = "2026-12-15";
    let (old_at, new_at) = (in_force(&old, at), in_force(&new, at));
    let (mut increased, mut decreased, mut terms, mut unchanged) = (0, 0, 0, 0);
    let (mut short, mut long, mut at_once) = (0, 0, 0);
    for (prefix, before) in &old_at {
        let Some(after) = new_at.get(prefix) else {
            continue;
        };
        if after.rate > before.rate {
            increased += 1;
            match after.effective_from.as_str() {
                "" => at_once += 1,
                date if date < "2026-12-03" => short += 1,
                _ => long += 1,
            }
        } else if after.rate < before.rate {
            decreased += 1;
        } else if after.terms != before.terms {
            terms += 1;
        } else {
            unchanged += 1;
        }
    }
    assert_share("increased", increased, base, 0.07..=0.13);
    assert_share("decreased", decreased, base, 0.07..=0.13);
    assert_share("terms changed", terms, base, 0.003..=0.02);
    assert_share("unchanged", unchanged, base, 0.7..=0.82);
    // A 7-day notice from 2026-11-26: dated before 2026-12-03 is short, later is enough.
    assert!(
        short > 0 && long > 0 && at_once > 0,
        "increases: {short} short, {long} long, {at_once} undated"
    );
    // Dated changes fall 3 to 19 days after receipt; the old deck's dated rows are kept.
    let old_rows: std::collections::HashSet<_> = old
        .iter()
        .map(|r| (r.prefix.as_str(), r.effective_from.as_str(), r.rate))
        .collect();
    for row in &new {
        let date = row.effective_from.as_str();
        if !date.is_empty() && !old_rows.contains(&(row.prefix.as_str(), date, row.rate)) {
            assert!(("2026-11-29"..="2026-12-15").contains(&date), "{row:?}");
        }
    }
    for row in old.iter().filter(|r| !r.effective_from.is_empty()) {
        if new_prefixes.contains(row.prefix.as_str()) {
            assert!(new.contains(row), "{row:?} is missing from the next deck");
        }
    }
}

#[test]
fn help_names_the_supplier_and_next_decks() {
    let output = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for words in ["--suppliers", "supplier_1.csv", "--next", "NAME_next.csv"] {
        assert!(help.contains(words), "--help omits {words}");
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .args(["-o", dir.path().to_str().unwrap(), "--suppliers", "101"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("at most 100"));
}

/// The related decks of an NPA-NXX deck (7-digit prefixes, a rate nearly each) compile too;
/// its extra breakouts and new prefixes have 8 digits.
#[test]
fn npanxx_supplier_and_next_decks_compile() {
    let dir = tempfile::tempdir().unwrap();
    ratel_gen(
        dir.path(),
        &[
            "--shape",
            "npanxx",
            "--rows",
            "10000",
            "--numbers",
            "10",
            "--users",
            "5",
            "--cards",
            "5",
            "--suppliers",
            "2",
            "--next",
        ],
    );
    let path = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    compile(
        dir.path(),
        "all.ratel",
        &["wholesale.csv", "supplier_1.csv", "supplier_2.csv"].map(path),
    );
    compile(
        dir.path(),
        "next.ratel",
        &[format!("wholesale={}", path("wholesale_next.csv"))],
    );
    let sell = read_deck(&dir.path().join("wholesale.csv"));
    let sell_prefixes = distinct_prefixes(&sell);
    for name in ["supplier_1.csv", "wholesale_next.csv"] {
        let rows = read_deck(&dir.path().join(name));
        let added: Vec<_> = rows
            .iter()
            .filter(|r| !sell_prefixes.contains(r.prefix.as_str()))
            .collect();
        assert!(!added.is_empty(), "{name} adds no prefix");
        assert!(added.iter().all(|r| r.prefix.len() == 8), "{name}");
    }
}
