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
use crate::ledger::{Ledger, LedgerError};

/// The data of a snapshot: a tariff artifact and the accounts checked against it, and the
/// stamps of the files they were read from.
#[derive(Debug, Clone)]
pub struct Data {
    pub artifact: Arc<Artifact>,
    pub accounts: Arc<Accounts>,
    pub stamps: Stamps,
}

/// Where a snapshot's data comes from.
#[derive(Debug, Clone)]
pub struct DataFiles {
    pub artifact: std::path::PathBuf,
    pub accounts: AccountFiles,
    pub default_currency: String,
    /// The ledger that owns the balances; `None`: balances are the files' (tools, tests).
    pub ledger: Option<Arc<Ledger>>,
}

/// Why data could not be loaded; the old snapshot (if any) stays in force.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Artifact(#[from] ArtifactError),
    #[error("invalid account files:\n{}", .0.errors)]
    Accounts(LoadFailure),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    /// A data file that is a FIFO, a device, a directory or a socket: reading it could block
    /// forever or never end, so it is refused before anything opens it.
    #[error("{path}: is {kind}, not a regular file; data files must be regular files")]
    NotRegular { path: String, kind: &'static str },
    /// [`Data::attach`] on data whose accounts are already in use.
    #[error("the accounts are already in use: a ledger is attached to data fresh from a load")]
    Shared,
}

/// Refuses `metadata` (of `path`, symbolic links followed) unless it is a regular file.
fn regular_file(path: &std::path::Path, metadata: &std::fs::Metadata) -> Result<(), LoadError> {
    match crate::files::not_regular(metadata.file_type()) {
        None => Ok(()),
        Some(kind) => Err(LoadError::NotRegular {
            path: path.display().to_string(),
            kind,
        }),
    }
}

/// What tells one version of a file from another without reading it: device and inode (a
/// rename over the path, as `tariff-compile` does, gives a new inode), size, and modification
/// time. A file modified shortly before its stamp was taken is "racy": another write within
/// the same tick of the file system's clock would leave every field as it is, so a racy
/// stamp never counts as unchanged and the file is read again at the next reload (the way
/// git treats racily clean index entries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    device: u64,
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
    racy: bool,
}

/// How recent a modification makes a stamp racy: above the coarsest common timestamp
/// resolution (2 s on FAT; ext4 and xfs tick every few milliseconds).
const RACY_WINDOW: Duration = Duration::from_secs(3);

impl FileStamp {
    /// The stamp of the file at `path` now; `None` when it cannot be read (which counts as
    /// changed, so that loading it reports why); an error at once when it is not a regular
    /// file (a FIFO would block the open, a device like `/dev/zero` never ends).
    pub fn of(path: &std::path::Path) -> Result<Option<FileStamp>, LoadError> {
        let Ok(metadata) = std::fs::metadata(path) else {
            return Ok(None);
        };
        regular_file(path, &metadata)?;
        #[cfg(unix)]
        let (device, inode) = {
            use std::os::unix::fs::MetadataExt;
            (metadata.dev(), metadata.ino())
        };
        #[cfg(not(unix))]
        let (device, inode) = (0, 0);
        let modified = metadata.modified().ok();
        let racy = modified.is_none_or(|at| at.elapsed().map_or(true, |age| age < RACY_WINDOW));
        Ok(Some(FileStamp {
            device,
            inode,
            len: metadata.len(),
            modified,
            racy,
        }))
    }

    /// Whether `now` is certainly the same version of the file as `earlier`.
    fn unchanged(now: Option<&FileStamp>, earlier: Option<&FileStamp>) -> bool {
        match (now, earlier) {
            (Some(now), Some(earlier)) => {
                !earlier.racy
                    && (now.device, now.inode, now.len, now.modified)
                        == (earlier.device, earlier.inode, earlier.len, earlier.modified)
            }
            _ => false,
        }
    }
}

/// The stamps of a snapshot's files, taken before they were read: a file that changes while
/// it is being read has a different stamp at the next reload, and is read again then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stamps {
    artifact: Option<FileStamp>,
    /// users, cards, card groups, currencies.
    accounts: [Option<FileStamp>; 4],
}

impl Stamps {
    /// Stamps every data file; refuses the first that exists and is not a regular file.
    fn take(files: &DataFiles) -> Result<Stamps, LoadError> {
        let a = &files.accounts;
        let [users, cards, card_groups, currencies] =
            [&a.users, &a.cards, &a.card_groups, &a.currencies];
        Ok(Stamps {
            artifact: FileStamp::of(&files.artifact)?,
            accounts: [
                FileStamp::of(users)?,
                FileStamp::of(cards)?,
                FileStamp::of(card_groups)?,
                FileStamp::of(currencies)?,
            ],
        })
    }

    fn artifact_unchanged(&self, earlier: &Stamps) -> bool {
        FileStamp::unchanged(self.artifact.as_ref(), earlier.artifact.as_ref())
    }

    fn accounts_unchanged(&self, earlier: &Stamps) -> bool {
        self.accounts
            .iter()
            .zip(&earlier.accounts)
            .all(|(now, then)| FileStamp::unchanged(now.as_ref(), then.as_ref()))
    }
}

/// Which parts a reload read again; the others are shared with the data it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reread {
    pub artifact: bool,
    pub accounts: bool,
}

impl std::fmt::Display for Reread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let part = |reread: bool| if reread { "re-read" } else { "shared" };
        write!(
            f,
            "artifact {}, accounts {}",
            part(self.artifact),
            part(self.accounts)
        )
    }
}

impl Data {
    /// Maps the artifact and loads the accounts against it. Nothing is shared with any
    /// earlier data; `warnings` receives non-fatal remarks (unknown columns).
    pub fn load(files: &DataFiles, warnings: &mut Vec<String>) -> Result<Data, LoadError> {
        let stamps = Stamps::take(files)?;
        let artifact = Arc::new(Artifact::open(&files.artifact)?);
        let accounts = Data::load_accounts(files, &artifact, warnings)?;
        Ok(Data {
            artifact,
            accounts,
            stamps,
        })
    }

    /// Loads what changed since `previous` was loaded from the same `files`, and shares the
    /// rest with it: an unchanged artifact is not mapped again, and unchanged accounts are
    /// not read again as long as the artifact still holds every tariff they name (when it
    /// does not, they are read again, so the error names the file and line).
    pub fn reload(
        files: &DataFiles,
        previous: &Data,
        warnings: &mut Vec<String>,
    ) -> Result<(Data, Reread), LoadError> {
        let stamps = Stamps::take(files)?;
        let artifact = if stamps.artifact_unchanged(&previous.stamps) {
            Arc::clone(&previous.artifact)
        } else {
            Arc::new(Artifact::open(&files.artifact)?)
        };
        let reread_artifact = !Arc::ptr_eq(&artifact, &previous.artifact);
        let keep_accounts = stamps.accounts_unchanged(&previous.stamps)
            && previous
                .accounts
                .tariff_names()
                .iter()
                .all(|name| artifact.tariff_id(name).is_some());
        let accounts = if keep_accounts {
            Arc::clone(&previous.accounts)
        } else {
            Data::load_accounts(files, &artifact, warnings)?
        };
        let reread = Reread {
            artifact: reread_artifact,
            accounts: !keep_accounts,
        };
        Ok((
            Data {
                artifact,
                accounts,
                stamps,
            },
            reread,
        ))
    }

    fn load_accounts(
        files: &DataFiles,
        artifact: &Artifact,
        warnings: &mut Vec<String>,
    ) -> Result<Arc<Accounts>, LoadError> {
        let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
        let (mut accounts, mut seen) =
            accounts::load(&files.accounts, &files.default_currency, &has_tariff)
                .map_err(LoadError::Accounts)?;
        warnings.append(&mut seen);
        if let Some(ledger) = &files.ledger {
            attach(ledger, &mut accounts, warnings)?;
        }
        Ok(Arc::new(accounts))
    }

    /// Hands data fresh from [`Data::load`] without a ledger (checked before the ledger was
    /// opened or created) to `ledger`, as loading with it would have: balances become the
    /// ledger's. Data whose accounts are already shared is refused.
    pub fn attach(&mut self, ledger: &Ledger, warnings: &mut Vec<String>) -> Result<(), LoadError> {
        let accounts = Arc::get_mut(&mut self.accounts).ok_or(LoadError::Shared)?;
        attach(ledger, accounts, warnings)
    }
}

/// Gives `accounts` the ledger's balances (opening the new ones), with a warning when file
/// balances differ from the ledger's openings.
fn attach(
    ledger: &Ledger,
    accounts: &mut Accounts,
    warnings: &mut Vec<String>,
) -> Result<(), LoadError> {
    let attached = ledger.attach(accounts)?;
    if attached.differing > 0 {
        warnings.push(format!(
            "{} accounts have a balance in the files that differs from their opening balance \
             in the ledger; the ledger's balances stay (it owns them once it has seen an \
             account)",
            attached.differing
        ));
    }
    Ok(())
}

/// One consistent view of the data.
#[derive(Debug)]
pub struct Snapshot {
    /// Increases by one with every successful swap, starting at 1.
    pub generation: u64,
    /// How long building this snapshot took.
    pub load_time: Duration,
    /// What requests read; cloning it shares the parts (a reload builds on it).
    pub data: Data,
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
                data,
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

    /// Swaps in a fully built replacement; returns its generation and the snapshot it
    /// replaced. Readers holding the old snapshot keep it until they drop it; whoever drops
    /// the last reference frees it, so a caller that keeps the returned `Arc` until it is
    /// the only owner ([`Arc::strong_count`] of 1) frees it on its own thread.
    pub fn replace(&self, data: Data, load_time: Duration) -> (u64, Arc<Snapshot>) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        let retired = self.current.swap(Arc::new(Snapshot {
            generation,
            load_time,
            data,
        }));
        (generation, retired)
    }
}

#[cfg(test)]
mod tests;
