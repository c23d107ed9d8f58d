//! The ledger file and its write-ahead log must stay the files the store opened. An open
//! SQLite connection keeps writing to a file that was deleted or renamed over (the kernel
//! keeps the inode while it is open), so without this check a server whose ledger was
//! removed would go on acknowledging charges that vanish at the next restart, which would
//! then start a fresh ledger and charge the same ids again.
//!
//! [`Files`] remembers which inode each path named at open; [`Files::verify`] compares them
//! with what the paths name now, on the committer's thread, before every commit and every
//! 10 ms while no change arrives, so no commit slips between a failed check and the rescue.
//! The first failure makes the ledger unusable until the server is restarted (every change
//! is refused, `/healthz` says why), and rescues what it holds through the committer's own
//! connection (another connection of the process cannot read a log that was unlinked: its
//! reads come up short): the log is checkpointed into the ledger file (all of it, when only
//! the log was removed: then nothing else is needed), and otherwise a complete copy is written
//! beside the ledger (`ledger.sqlite.rescued-YYYYMMDDTHHMMSSZ`), which holds every
//! acknowledged change. A server does not start while such a copy lies beside its ledger.
//!
//! [`WalSize`] measures the log for `/metrics` and says in the log when it grows past
//! [`super::WAL_WARN_BYTES`].

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::Connection;

use super::{Level, Log, Stats};
use crate::time::Timestamp;

/// What a path named: its device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    fn of(metadata: &std::fs::Metadata) -> FileId {
        FileId {
            dev: metadata.dev(),
            ino: metadata.ino(),
        }
    }

    /// What `path` names now; `None` when nothing does.
    fn at(path: &Path) -> std::io::Result<Option<FileId>> {
        match std::fs::metadata(path) {
            Ok(metadata) => Ok(Some(FileId::of(&metadata))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// The ledger's write-ahead log: the ledger's path with `-wal` after it.
pub(crate) fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// The ledger file and its log, and the inodes they were when the store opened them.
#[derive(Debug)]
pub(crate) struct Files {
    path: PathBuf,
    wal: PathBuf,
    path_id: FileId,
    /// `None` until the log exists (SQLite creates it with the first read in WAL mode).
    wal_id: Option<FileId>,
}

impl Files {
    /// The files as they are now: `ledger` is the store's own open descriptor of the ledger.
    pub(crate) fn opened(path: &Path, ledger: &File) -> std::io::Result<Files> {
        // The log as SQLite names it: beside the file a symbolic link points to. The ledger
        // is checked by the path as configured (symbolic links followed when checked), so a
        // link removed or pointed elsewhere is seen too.
        let wal = wal_path(&std::fs::canonicalize(path)?);
        Ok(Files {
            path: path.to_owned(),
            wal_id: FileId::at(&wal)?,
            wal,
            path_id: FileId::of(&ledger.metadata()?),
        })
    }

    /// The log, as SQLite names it.
    pub(crate) fn wal(&self) -> &Path {
        &self.wal
    }

    /// Why the paths no longer name the files the store writes, if they do not.
    fn check(&mut self) -> Result<(), String> {
        let now = |path: &Path| {
            FileId::at(path).map_err(|error| {
                format!("cannot check the ledger file {}: {error}", path.display())
            })
        };
        match now(&self.path)? {
            None => {
                return Err(format!(
                    "the ledger file {} was removed",
                    self.path.display()
                ))
            }
            Some(id) if id != self.path_id => {
                return Err(format!(
                    "the ledger file {} was replaced by another file",
                    self.path.display()
                ))
            }
            Some(_) => {}
        }
        match (now(&self.wal)?, self.wal_id) {
            (Some(id), None) => self.wal_id = Some(id),
            (Some(id), Some(known)) if id != known => {
                return Err(format!(
                    "the ledger's write-ahead log {} was replaced by another file",
                    self.wal.display()
                ))
            }
            (None, Some(_)) => {
                return Err(format!(
                    "the ledger's write-ahead log {} was removed",
                    self.wal.display()
                ))
            }
            _ => {}
        }
        Ok(())
    }

    /// Whether the store may write: `Err` with the reason once the files are not the ones
    /// it opened (then, the first time, the failure is kept in `stats`, logged, and the
    /// ledger rescued through `connection`, the committer's).
    pub(crate) fn verify(
        &mut self,
        connection: &Connection,
        stats: &Stats,
        log: &Log,
    ) -> Result<(), String> {
        if let Some(reason) = stats.unusable() {
            return Err(reason);
        }
        let Err(found) = self.check() else {
            return Ok(());
        };
        let reason = format!(
            "{found} while the server runs: every change is refused until the server is \
             restarted"
        );
        stats.set_unusable(&reason);
        log.say(Level::Error, &format!("ledger: {reason}"));
        self.rescue(connection, log);
        Err(reason)
    }

    /// Copies what the open connection holds where a restart finds it.
    fn rescue(&self, connection: &Connection, log: &Log) {
        // Every committed page of the log into the ledger file (the one this connection has
        // open), synced: when only the log was removed, the ledger file is then complete.
        let checkpointed = connection
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            })
            .map_err(|error| error.to_string())
            .and_then(|busy| match busy {
                0 => Ok(()),
                _ => Err("a reader kept part of the log".into()),
            });
        // A file put in place of the log is not this ledger's: a restart would replay its
        // pages over the ledger's. It is moved aside, kept for whoever put it there.
        if let Ok(Some(id)) = FileId::at(&self.wal) {
            if self.wal_id.is_some_and(|own| own != id) {
                let aside = beside(&self.wal, "foreign", Timestamp::now());
                match std::fs::rename(&self.wal, &aside) {
                    Ok(()) => log.say(
                        Level::Warn,
                        &format!(
                            "ledger: the file put in place of the write-ahead log was moved to {}",
                            aside.display()
                        ),
                    ),
                    Err(error) => log.say(
                        Level::Error,
                        &format!(
                            "ledger: the file put in place of the write-ahead log {} could not \
                             be moved aside ({error}): remove it before restarting, or a \
                             restart replays it over the ledger",
                            self.wal.display()
                        ),
                    ),
                }
            }
        }
        match (&checkpointed, FileId::at(&self.path)) {
            // The ledger file holds everything: a restart needs nothing else.
            (Ok(()), Ok(Some(id))) if id == self.path_id => {
                log.say(
                    Level::Info,
                    &format!(
                        "ledger: every committed change was checkpointed into {}; restart \
                         the server to write again",
                        self.path.display()
                    ),
                );
                return;
            }
            (Err(error), _) => log.say(
                Level::Warn,
                &format!("ledger: the log could not be checkpointed: {error}"),
            ),
            _ => {}
        }
        let copy = beside(&self.path, "rescued", Timestamp::now());
        match write_copy(connection, &copy) {
            Ok(()) => log.say(
                Level::Error,
                &format!(
                    "ledger: a complete copy of the ledger as it was committed was written to \
                     {}; stop the server, put that copy in place of {}, then start it again",
                    copy.display(),
                    self.path.display()
                ),
            ),
            Err(error) => log.say(
                Level::Error,
                &format!(
                    "ledger: the copy {} could not be written: {error}; copy the ledger out \
                     before stopping the server (sqlite3 .backup needs the file)",
                    copy.display()
                ),
            ),
        }
    }
}

/// The log's size, measured by the checkpointer for `/metrics` and the log.
#[derive(Debug)]
pub(crate) struct WalSize {
    wal: PathBuf,
    warn_bytes: u64,
    stats: Arc<Stats>,
    log: Log,
    /// Whether the log was last seen past `warn_bytes` (it is said once each way).
    warned: bool,
}

impl WalSize {
    pub(crate) fn new(wal: &Path, warn_bytes: u64, stats: Arc<Stats>, log: Log) -> WalSize {
        WalSize {
            wal: wal.to_owned(),
            warn_bytes,
            stats,
            log,
            warned: false,
        }
    }

    /// Whether the ledger refuses every change (then the checkpointer leaves it alone).
    pub(crate) fn unusable(&self) -> bool {
        self.stats.unusable().is_some()
    }

    /// Measures the log now (0 when it cannot be read).
    pub(crate) fn measure(&mut self) {
        let bytes = std::fs::metadata(&self.wal).map_or(0, |metadata| metadata.len());
        self.stats
            .wal_bytes
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
        let over = bytes > self.warn_bytes;
        if over == self.warned {
            return;
        }
        self.warned = over;
        let (level, message) = if over {
            (
                Level::Warn,
                format!(
                    "ledger: the write-ahead log is {} MiB and cannot be checkpointed: a reader \
                     holds an old snapshot open (an sqlite3 session left open on the ledger?); \
                     it grows and commits slow down until that reader ends",
                    bytes >> 20
                ),
            )
        } else {
            (
                Level::Info,
                format!("ledger: the write-ahead log is back to {} MiB", bytes >> 20),
            )
        };
        self.log.say(level, &message);
    }
}

/// `ledger.sqlite.WHAT-20261206T103000Z` beside `path` (WHAT: `rescued`, `rescuing`,
/// `foreign`).
fn beside(path: &Path, what: &str, now: Timestamp) -> PathBuf {
    let stamp: String = now
        .to_string()
        .chars()
        .filter_map(|c| match c {
            '-' | ':' => None,
            ' ' => Some('T'),
            c => Some(c),
        })
        .collect();
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{what}-{stamp}Z"));
    PathBuf::from(name)
}

/// Writes a consistent copy of the database `connection` reads to `copy`, synced: first
/// under a `rescuing` name, renamed to `copy` only once whole, so a copy cut short by a
/// crash is never taken for a complete one.
fn write_copy(connection: &Connection, copy: &Path) -> Result<(), String> {
    let name = copy
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let partial = copy.with_file_name(name.replacen(".rescued-", ".rescuing-", 1));
    let text = partial
        .to_str()
        .ok_or_else(|| "the path is not UTF-8".to_owned())?;
    connection
        .execute("VACUUM INTO ?1", [text])
        .map_err(|error| error.to_string())?;
    File::open(&partial)
        .and_then(|file| file.sync_all())
        .map_err(|error| error.to_string())?;
    std::fs::rename(&partial, copy).map_err(|error| error.to_string())?;
    if let Some(folder) = copy.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(|error| error.to_string())?;
    }
    Ok(())
}

/// The rescued copies of the ledger at `path` that lie beside it, and the rescues cut short
/// (`rescuing`): either means the ledger was lost while a server ran.
pub(crate) fn rescued_copies(path: &Path) -> Vec<PathBuf> {
    let (Some(folder), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let folder = if folder.as_os_str().is_empty() {
        Path::new(".")
    } else {
        folder
    };
    let Some(name) = name.to_str() else {
        return Vec::new();
    };
    let prefixes = [format!("{name}.rescued-"), format!("{name}.rescuing-")];
    let mut found: Vec<PathBuf> = std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry.file_name().to_str().is_some_and(|name| {
                prefixes
                    .iter()
                    .any(|prefix| name.starts_with(prefix.as_str()))
            })
        })
        .map(|entry| entry.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescue_copies_are_named_after_the_ledger_and_the_time() {
        let now = Timestamp::parse("2026-12-06 10:30:05").unwrap();
        assert_eq!(
            beside(Path::new("/var/lib/ratel/ledger.sqlite"), "rescued", now),
            Path::new("/var/lib/ratel/ledger.sqlite.rescued-20261206T103005Z")
        );
        let dir = tempfile::tempdir().unwrap();
        let ledger = dir.path().join("ledger.sqlite");
        assert!(rescued_copies(&ledger).is_empty());
        std::fs::write(beside(&ledger, "rescued", now), b"").unwrap();
        std::fs::write(dir.path().join("other.sqlite.rescued-1"), b"").unwrap();
        assert_eq!(
            rescued_copies(&ledger),
            vec![beside(&ledger, "rescued", now)]
        );
        // A rescue cut short counts too: the ledger was lost all the same.
        std::fs::write(beside(&ledger, "rescuing", now), b"").unwrap();
        assert_eq!(rescued_copies(&ledger).len(), 2);
    }
}
