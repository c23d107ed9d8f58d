//! Everything a connection needs, in one place: the data in force, the settings, the limits
//! and budgets, the metrics, the reload queue, the access log; and the two things done with
//! it that are not a request's: choosing how requests commit, and reloading the data.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratel_engine::ledger::{Commit, NoLedger};
use ratel_engine::mor_api::ApiSettings;
use ratel_engine::snapshot::{Data, DataFiles, Snapshot, SnapshotStore};

use crate::access_log::AccessLog;
use crate::body_budget::BodyBudgets;
use crate::commit::{CoroutineCommit, Replies};
use crate::http::Limits;
use crate::log;
use crate::metrics::Metrics;
use crate::reload::{self, Failures, ReloadResult, Reloads};
use crate::stall_watch::StallWatch;

/// Everything a connection needs.
#[derive(Debug)]
pub struct App {
    pub store: SnapshotStore,
    pub data: DataFiles,
    pub web_dir: String,
    pub api: ApiSettings,
    pub limits: Limits,
    /// The memory all connections together may hold for request bodies, for each API.
    pub bodies: BodyBudgets,
    /// Time an answer may go without any byte of it accepted by the client before the
    /// connection is closed (10 s).
    pub write_stall_timeout: Duration,
    /// The deadlines of requests being read and of answers stalled (see `stall_watch`).
    pub stall_watch: Arc<StallWatch>,
    pub metrics: Metrics,
    /// The queue to the reload thread (`reload`).
    pub reloads: Reloads,
    /// The reloads failing since the last good one, for `/healthz`.
    pub reload_failures: Failures,
    /// Set by SIGTERM or SIGINT: acceptors return, answers say `Connection: close`.
    pub stopping: AtomicBool,
    /// The access log, when `access_log` is set.
    pub access_log: Option<Arc<AccessLog>>,
    /// The ledger's answers on their way back to the requests (see `commit`).
    pub replies: Arc<Replies>,
}

impl App {
    /// Runs `f` with the ledger as a request commits to it: the request's coroutine parks
    /// while its commit is written, never the worker thread; without a ledger every change
    /// fails. The one place that choice is made.
    pub fn with_commit<R>(&self, f: impl FnOnce(&dyn Commit) -> R) -> R {
        match self.data.ledger.as_deref() {
            Some(ledger) => f(&CoroutineCommit {
                ledger,
                replies: &self.replies,
            }),
            None => f(&NoLedger),
        }
    }

    /// Starts the reload thread, serving `queue` with [`App::reload`].
    pub fn start_reloads(self: &Arc<App>, queue: reload::Queue) -> std::io::Result<()> {
        let (app, failed) = (Arc::clone(self), Arc::clone(self));
        reload::spawn(
            queue,
            move || app.reload(),
            move |reason| {
                failed
                    .metrics
                    .reload_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                failed.reload_failures.failed(reason);
            },
        )
    }

    /// Loads the data files again and swaps them in; on any error the old snapshot stays and
    /// the reason is returned (and logged, counted, and shown by `/healthz`). Runs on the
    /// reload thread only (`reload`), which keeps the replaced snapshot it returns until the
    /// last request reading it is done, and frees it there.
    pub fn reload(&self) -> (ReloadResult, Option<Arc<Snapshot>>) {
        let started = Instant::now();
        let mut warnings = Vec::new();
        // Only files whose stamp changed are read; the rest is shared with the data in force.
        let in_force = self.store.load().data.clone();
        match Data::reload(&self.data, &in_force, &mut warnings) {
            Ok((data, reread)) => {
                drop(in_force);
                for warning in warnings {
                    log::warn(&warning);
                }
                let took = started.elapsed();
                let (generation, replaced) = self.store.replace(data, took);
                self.metrics.reloaded(took, reread);
                self.reload_failures.cleared();
                let message = format!(
                    "reloaded: generation {generation} in {:.3} s ({reread})",
                    took.as_secs_f64()
                );
                log::info(&message);
                (Ok(message), Some(replaced))
            }
            Err(error) => {
                self.metrics
                    .reload_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let message = format!("reload failed, the previous data stays in force: {error}");
                self.reload_failures.failed(&error.to_string());
                log::error(&message);
                (Err(message), None)
            }
        }
    }
}
