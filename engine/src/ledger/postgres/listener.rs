//! The listener: a thread with its own connection that `LISTEN`s for other servers' commits
//! and notes that one was announced; the committer then reads what changed.
//! A lost connection is made again, and the committer told to read everything it may have
//! missed (notifications are not replayed). It also says when the database is unreachable,
//! for `/healthz`, while no write has found out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

use super::error::say;
use super::target::Target;
use crate::ledger::{Level, Log, Stats};

/// What the committer and the listener share.
#[derive(Debug, Default)]
pub(super) struct Shared {
    /// This server's name in notifications (its own are ignored) and in its commits' tokens.
    pub(super) name: String,
    /// Set when another server notified a commit.
    pub(super) others: AtomicBool,
    /// Set when notifications may have been missed (the listener reconnected).
    pub(super) resync: AtomicBool,
    /// Tells the listener to stop.
    pub(super) stop: AtomicBool,
}

/// How long the listener waits for a notification before it checks its connection and
/// whether to stop.
const POLL: Duration = Duration::from_millis(200);

/// The wait between two connection attempts.
const RETRY: Duration = Duration::from_millis(250);

pub(super) fn start(
    target: Target,
    shared: Arc<Shared>,
    stats: Arc<Stats>,
    log: Log,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("ratel-listen".into())
        .spawn(move || run(&target, &shared, &stats, &log))
}

fn run(target: &Target, shared: &Shared, stats: &Stats, log: &Log) {
    let mut first = true;
    while !shared.stop.load(Ordering::Relaxed) {
        let mut client = match target
            .connect()
            .and_then(|mut client| client.batch_execute("LISTEN ratel_ledger").map(|()| client))
        {
            Ok(client) => client,
            Err(error) => {
                stats.set_unreachable(Some(say(&error)));
                std::thread::sleep(RETRY);
                continue;
            }
        };
        if !first {
            // Commits made while this connection was down were not announced to it.
            shared.resync.store(true, Ordering::Relaxed);
            log.say(
                Level::Info,
                &format!("ledger {target}: listening to other servers' commits again"),
            );
        }
        stats.set_unreachable(None);
        first = false;
        while !shared.stop.load(Ordering::Relaxed) && !client.is_closed() {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(POLL);
            loop {
                match waiting.next() {
                    Ok(Some(notification)) => {
                        if notification.payload() != shared.name {
                            shared.others.store(true, Ordering::Relaxed);
                        }
                    }
                    Ok(None) => break,
                    Err(_) => break,
                }
            }
            drop(waiting);
            drop(notifications);
            // An idle connection to a database that went away is found by asking it.
            if client.is_valid(POLL).is_err() {
                break;
            }
        }
        if !shared.stop.load(Ordering::Relaxed) {
            let reason = "the connection to PostgreSQL was lost".to_owned();
            log.say(Level::Error, &format!("ledger {target}: {reason}"));
            stats.set_unreachable(Some(reason));
        }
    }
}
