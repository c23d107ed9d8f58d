//! The immutable bundle every request reads, swapped whole.
//!
//! A snapshot holds everything answers are computed from: the tariff artifact and the
//! accounts, each behind its own `Arc` so that a reload can share the part that did not change.
//! Readers load an `Arc` and keep a consistent view for as long as they hold it; a reload
//! builds a complete new snapshot first and then swaps the pointer, so no reader ever sees a
//! half-loaded state and the old one is freed when its last reader lets go.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::accounts::{self, AccountFiles, Accounts, LoadFailure};
use crate::artifact::{Artifact, ArtifactError};

/// The data of a snapshot: a tariff artifact and the accounts checked against it.
#[derive(Debug, Clone)]
pub struct Data {
    pub artifact: Arc<Artifact>,
    pub accounts: Arc<Accounts>,
}

/// Where a snapshot's data comes from.
#[derive(Debug, Clone)]
pub struct DataFiles {
    pub artifact: std::path::PathBuf,
    pub accounts: AccountFiles,
    pub default_currency: String,
}

/// Why data could not be loaded; the old snapshot (if any) stays in force.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Artifact(#[from] ArtifactError),
    #[error("invalid account files:\n{}", .0.errors)]
    Accounts(LoadFailure),
}

impl Data {
    /// Maps the artifact and loads the accounts against it. Nothing is shared with any
    /// earlier data; `warnings` receives non-fatal remarks (unknown columns).
    pub fn load(files: &DataFiles, warnings: &mut Vec<String>) -> Result<Data, LoadError> {
        let artifact = Arc::new(Artifact::open(&files.artifact)?);
        let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
        let (accounts, mut seen) =
            accounts::load(&files.accounts, &files.default_currency, &has_tariff)
                .map_err(LoadError::Accounts)?;
        warnings.append(&mut seen);
        Ok(Data {
            artifact,
            accounts: Arc::new(accounts),
        })
    }
}

/// One consistent view of the data.
#[derive(Debug)]
pub struct Snapshot {
    /// Increases by one with every successful swap, starting at 1.
    pub generation: u64,
    /// How long building this snapshot took.
    pub load_time: Duration,
    pub artifact: Arc<Artifact>,
    pub accounts: Arc<Accounts>,
}

/// The current snapshot, readable from any thread without locks.
#[derive(Debug)]
pub struct SnapshotStore {
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
}

impl SnapshotStore {
    /// A store serving `data` as generation 1.
    pub fn new(data: Data, load_time: Duration) -> SnapshotStore {
        SnapshotStore {
            current: ArcSwap::from_pointee(Snapshot {
                generation: 1,
                load_time,
                artifact: data.artifact,
                accounts: data.accounts,
            }),
            generation: AtomicU64::new(1),
        }
    }

    /// The snapshot in force now; hold it for the duration of one request.
    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The underlying swap cell, for readers that keep an `arc_swap::Cache`.
    pub fn cell(&self) -> &ArcSwap<Snapshot> {
        &self.current
    }

    /// Swaps in a fully built replacement; returns its generation. Readers holding the old
    /// snapshot keep it until they drop it.
    pub fn replace(&self, data: Data, load_time: Duration) -> u64 {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.current.store(Arc::new(Snapshot {
            generation,
            load_time,
            artifact: data.artifact,
            accounts: data.accounts,
        }));
        generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::ArtifactBuilder;
    use crate::input::ErrorList;

    fn demo_accounts() -> Arc<Accounts> {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo");
        let files = AccountFiles {
            users: demo.join("users.csv"),
            cards: demo.join("cards.csv"),
            card_groups: demo.join("card_groups.csv"),
            currencies: demo.join("currencies.csv"),
        };
        Arc::new(accounts::load(&files, "USD", &|_| true).unwrap().0)
    }

    /// Data whose artifact holds one empty tariff named `tariff`.
    fn empty_artifact(tariff: &str) -> Data {
        let mut builder = ArtifactBuilder::new();
        builder.add_tariff(tariff, "USD", "t.csv", 1).unwrap();
        let (bytes, _) = builder.build(&mut ErrorList::new()).unwrap();
        Data {
            artifact: Arc::new(Artifact::from_bytes(bytes).unwrap()),
            accounts: demo_accounts(),
        }
    }

    /// The demo data files, with the demo tariffs compiled into `dir`.
    fn demo_files(dir: &std::path::Path) -> DataFiles {
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo");
        let sources: Vec<_> = ["retail", "wholesale", "vip_custom"]
            .iter()
            .map(|name| crate::compile::TariffSource {
                name: (*name).into(),
                currency: "USD".into(),
                path: demo.join("tariffs").join(format!("{name}.csv")),
            })
            .collect();
        let compiled = crate::compile::compile(&sources, |_| {}).unwrap();
        let artifact = dir.join("tariffs.ratel");
        std::fs::write(&artifact, compiled.bytes).unwrap();
        DataFiles {
            artifact,
            accounts: AccountFiles {
                users: demo.join("users.csv"),
                cards: demo.join("cards.csv"),
                card_groups: demo.join("card_groups.csv"),
                currencies: demo.join("currencies.csv"),
            },
            default_currency: "USD".into(),
        }
    }

    #[test]
    fn demo_data_loads_and_a_bad_part_fails_the_whole_load() {
        let dir = tempfile::tempdir().unwrap();
        let files = demo_files(dir.path());
        let data = Data::load(&files, &mut Vec::new()).unwrap();
        assert_eq!(data.artifact.tariffs().len(), 3);
        assert_eq!(data.accounts.user_by_username("bob").unwrap().owner_id, 2);

        let bytes = std::fs::read(&files.artifact).unwrap();
        std::fs::write(&files.artifact, &bytes[..bytes.len() - 1]).unwrap();
        let error = Data::load(&files, &mut Vec::new()).unwrap_err().to_string();
        assert!(error.contains("artifact is truncated"), "{error}");

        // An artifact without the tariffs users name: the accounts are refused.
        let mut builder = ArtifactBuilder::new();
        builder.add_tariff("retail", "USD", "t.csv", 1).unwrap();
        std::fs::write(
            &files.artifact,
            builder.build(&mut ErrorList::new()).unwrap().0,
        )
        .unwrap();
        let error = Data::load(&files, &mut Vec::new()).unwrap_err().to_string();
        assert!(error.starts_with("invalid account files:\n"), "{error}");
        assert!(
            error.contains("users.csv:4:5: tariff \"wholesale\" is not in the tariff artifact"),
            "{error}"
        );
    }

    #[test]
    fn readers_keep_their_snapshot_across_a_swap() {
        let store = SnapshotStore::new(empty_artifact("old"), Duration::ZERO);
        let held = store.load();
        assert_eq!(store.replace(empty_artifact("new"), Duration::ZERO), 2);
        assert_eq!(held.generation, 1);
        assert!(held.artifact.tariff_id("old").is_some());
        let fresh = store.load();
        assert_eq!(fresh.generation, 2);
        assert!(fresh.artifact.tariff_id("new").is_some());
    }

    #[test]
    fn concurrent_readers_always_see_a_whole_snapshot() {
        let store = Arc::new(SnapshotStore::new(empty_artifact("a"), Duration::ZERO));
        let reader = {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..20_000 {
                    let snap = store.load();
                    let names: Vec<_> = snap
                        .artifact
                        .tariffs()
                        .iter()
                        .map(|t| t.name.clone())
                        .collect();
                    assert!(names == ["a"] || names == ["b"], "{names:?}");
                }
            })
        };
        for i in 0..200 {
            store.replace(
                empty_artifact(if i % 2 == 0 { "b" } else { "a" }),
                Duration::ZERO,
            );
        }
        reader.join().unwrap();
        assert_eq!(store.load().generation, 201);
    }
}
