//! Test support: the demo fixture (`fixtures/demo`) as paths, account files, tariff sources,
//! a compiled artifact and a loaded dataset, written once for every test in the workspace.
//!
//! Compiled for the engine's own tests and, with the `testing` feature, for other crates'
//! tests (`ratel-server` and `ratel-tools` enable it in their dev-dependencies). Not part
//! of the engine's API: it panics when the fixture is broken, as a test should.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::accounts::{self, AccountFiles, Accounts};
use crate::artifact::Artifact;
use crate::compile::{compile, TariffSource};
use crate::snapshot::Data;

/// The tariffs of the demo data, by name (`fixtures/demo/tariffs/NAME.csv`, all in USD).
pub const DEMO_TARIFFS: [&str; 3] = ["retail", "wholesale", "vip_custom"];

/// The account files' names, as a data folder holds them.
pub const ACCOUNT_FILES: [&str; 4] = [
    "users.csv",
    "cards.csv",
    "card_groups.csv",
    "currencies.csv",
];

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `fixtures/demo`.
pub fn demo_dir() -> PathBuf {
    repo().join("fixtures/demo")
}

/// Whether `name` is one of the demo tariffs.
pub fn is_demo_tariff(name: &str) -> bool {
    DEMO_TARIFFS.contains(&name)
}

/// The account files of a data folder `dir` (see [`ACCOUNT_FILES`]).
pub fn account_files_in(dir: &Path) -> AccountFiles {
    AccountFiles::in_folder(dir)
}

/// The demo account files.
pub fn demo_account_files() -> AccountFiles {
    account_files_in(&demo_dir())
}

/// The demo tariffs as compiler input.
pub fn demo_tariff_sources() -> Vec<TariffSource> {
    let tariffs = demo_dir().join("tariffs");
    DEMO_TARIFFS
        .iter()
        .map(|name| TariffSource {
            name: (*name).into(),
            currency: "USD".into(),
            path: tariffs.join(format!("{name}.csv")),
        })
        .collect()
}

/// The demo tariffs compiled: the bytes of an artifact.
pub fn demo_artifact_bytes() -> Vec<u8> {
    compile(&demo_tariff_sources(), |_| {})
        .expect("the demo tariffs compile")
        .bytes
}

/// The demo accounts, checked against an artifact that has every tariff.
pub fn demo_accounts() -> Accounts {
    accounts::load(&demo_account_files(), "USD", &|_| true)
        .expect("the demo accounts load")
        .0
}

/// A data folder in `dir`: the demo account files copied, and the demo tariffs compiled
/// into `tariffs.ratel`; returns the artifact's path.
pub fn write_demo_data(dir: &Path) -> PathBuf {
    let demo = demo_dir();
    for file in ACCOUNT_FILES {
        std::fs::copy(demo.join(file), dir.join(file)).expect("the demo account files copy");
    }
    let artifact = dir.join("tariffs.ratel");
    std::fs::write(&artifact, demo_artifact_bytes()).expect("the demo artifact is written");
    artifact
}

/// The demo dataset (tariffs compiled in memory, accounts checked against them), built once
/// per test binary.
pub fn demo_data() -> &'static Data {
    static DEMO: OnceLock<Data> = OnceLock::new();
    DEMO.get_or_init(|| {
        let artifact =
            Arc::new(Artifact::from_bytes(demo_artifact_bytes()).expect("the demo artifact opens"));
        let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
        let accounts = accounts::load(&demo_account_files(), "USD", &has_tariff)
            .expect("the demo accounts load")
            .0;
        Data {
            artifact,
            accounts: Arc::new(accounts),
            stamps: Default::default(),
        }
    })
}

pub mod postgres;
