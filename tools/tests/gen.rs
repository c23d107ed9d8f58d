//! `ratel-gen` output is valid input for every Ratel reader, and the same seed gives the
//! same bytes.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::process::Command;

use ratel_engine::accounts::{self, AccountFiles};
use ratel_engine::artifact::Artifact;

fn generate(dir: &std::path::Path, seed: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_ratel-gen"))
        .args([
            "-o",
            dir.to_str().unwrap(),
            "--rows",
            "20000",
            "--numbers",
            "1000",
        ])
        .args(["--users", "3000", "--cards", "2500", "--seed", seed])
        .status()
        .unwrap();
    assert!(status.success());
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
