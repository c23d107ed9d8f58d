//! The immutable bundle every request reads, swapped whole.
//!
//! A snapshot holds everything answers are computed from (today the tariff artifact; the
//! accounts join it in the server issue). Readers load an `Arc` and keep a consistent view for
//! as long as they hold it; a reload builds a complete new snapshot first and then swaps the
//! pointer, so no reader ever sees a half-loaded state and the old one is freed when its last
//! reader lets go.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::artifact::Artifact;

/// One consistent view of the data.
#[derive(Debug)]
pub struct Snapshot {
    /// Increases by one with every successful swap, starting at 1.
    pub generation: u64,
    /// How long building this snapshot took.
    pub load_time: Duration,
    pub artifact: Arc<Artifact>,
}

/// The current snapshot, readable from any thread without locks.
#[derive(Debug)]
pub struct SnapshotStore {
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
}

impl SnapshotStore {
    /// A store serving `artifact` as generation 1.
    pub fn new(artifact: Arc<Artifact>, load_time: Duration) -> SnapshotStore {
        SnapshotStore {
            current: ArcSwap::from_pointee(Snapshot {
                generation: 1,
                load_time,
                artifact,
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
    pub fn replace(&self, artifact: Arc<Artifact>, load_time: Duration) -> u64 {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.current.store(Arc::new(Snapshot {
            generation,
            load_time,
            artifact,
        }));
        generation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::ArtifactBuilder;
    use crate::input::ErrorList;

    fn empty_artifact(tariff: &str) -> Arc<Artifact> {
        let mut builder = ArtifactBuilder::new();
        builder.add_tariff(tariff, "USD", "t.csv", 1).unwrap();
        let (bytes, _) = builder.build(&mut ErrorList::new()).unwrap();
        Arc::new(Artifact::from_bytes(bytes).unwrap())
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
