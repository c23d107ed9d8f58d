//! The committer: the one thread that applies changes. It takes every batch that has
//! arrived (up to [`MAX_BATCH`] submissions), works out each change's balance in order,
//! writes them all in one transaction with one sync, and only then sets the live balances
//! and answers. Many requests, one commit: that is what makes a durable ledger fast.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::change::{Applied, Done, Submission, OTHER_PAYER};
use super::kind::{Kind, RefKey};
use super::options::{Level, Log};
use super::references::References;
use super::stats::Stats;
use super::store::{Entry, Store, WATCH_EVERY};
use crate::accounts::{Account, BalanceCell};
use crate::money::Decimal;
use crate::time::Timestamp;

/// Submissions gathered into one transaction at most (a batch is never split, so one
/// larger batch is committed alone).
pub(crate) const MAX_BATCH: usize = 10_000;

/// Requests that must have been committed together last time for the committer to wait for
/// more before the next commit: many clients are charging at once, so a short wait gathers
/// several of them into one commit (one sync, one write of each index page touched) instead
/// of paying a commit each. A lone client (or two) never waits.
const GATHER_AFTER_JOBS: usize = 4;

/// How long the committer waits, at most, to gather more requests into a commit.
const GATHER_FOR: Duration = Duration::from_millis(1);

/// Submissions that end the gathering wait early: a commit this large gains little more.
const GATHER_ENOUGH: usize = 64;

/// A batch handed over by a request, and whom to tell.
pub(crate) struct Job {
    pub(crate) submissions: Vec<Submission>,
    pub(crate) done: Done,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Job({} submissions)", self.submissions.len())
    }
}

/// The state the committer carries from one commit to the next.
pub(crate) struct Committer<S> {
    store: S,
    references: References,
    next_seq: u64,
    stats: Arc<Stats>,
    log: Log,
    /// The failure of the commits failing now, logged once for the run (a full disk under
    /// load would otherwise log thousands of identical lines a second).
    failing: Option<String>,
}

/// Runs the committer until every sender is gone.
pub(crate) fn run<S: Store>(
    store: S,
    jobs: Receiver<Job>,
    references: References,
    next_seq: u64,
    stats: Arc<Stats>,
    log: Log,
) {
    let mut committer = Committer {
        store,
        references,
        next_seq,
        stats,
        log,
        failing: None,
    };
    let mut last_jobs = 0;
    loop {
        let first = match jobs.recv_timeout(WATCH_EVERY) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                committer.store.watch();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut batch = vec![first];
        let mut count = batch[0].submissions.len();
        let gather_until = (last_jobs >= GATHER_AFTER_JOBS).then(|| Instant::now() + GATHER_FOR);
        while count < MAX_BATCH {
            let next = match jobs.try_recv() {
                Ok(job) => Some(job),
                // Nothing queued: commit now, unless gathering and not yet enough.
                Err(_) => match gather_until {
                    Some(until) if count < GATHER_ENOUGH => {
                        let left = until.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            None
                        } else {
                            jobs.recv_timeout(left).ok()
                        }
                    }
                    _ => None,
                },
            };
            let Some(job) = next else { break };
            count += job.submissions.len();
            batch.push(job);
        }
        last_jobs = batch.len();
        committer.commit(batch);
    }
}

/// What one submission came to before the commit.
enum Planned {
    /// The next entry of the batch (entries are made in the order of the outcomes).
    New,
    /// A repeat of an entry of this batch (a copy of it: it stands only if the batch commits).
    Repeat(Entry),
    /// A repeat of an entry committed before.
    Stored(Entry),
    Refused(String),
    Failed(String),
}

impl<S: Store> Committer<S> {
    /// Applies one batch and answers every job in it.
    pub(crate) fn commit(&mut self, batch: Vec<Job>) {
        let now = Timestamp::now();
        let mut entries: Vec<Entry> = Vec::new();
        // Balances as this batch leaves them, set on the cells after the commit.
        let mut balances: HashMap<Account, (Decimal, Arc<BalanceCell>)> = HashMap::new();
        let mut keys: HashMap<RefKey, usize> = HashMap::new();
        let mut outcomes: Vec<Vec<Planned>> = Vec::with_capacity(batch.len());
        let mut answers: Vec<Done> = Vec::with_capacity(batch.len());
        for job in batch {
            let mut job_outcomes = Vec::with_capacity(job.submissions.len());
            for submission in job.submissions {
                job_outcomes.push(self.plan(
                    submission,
                    now,
                    &mut entries,
                    &mut balances,
                    &mut keys,
                ));
            }
            outcomes.push(job_outcomes);
            answers.push(job.done);
        }
        let committed = if entries.is_empty() {
            Ok(())
        } else {
            let started = Instant::now();
            let committed = self.store.append(&entries);
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.stats
                .commit_micros
                .fetch_add(micros, Ordering::Relaxed);
            match &committed {
                Ok(()) => {
                    self.stats.commits.fetch_add(1, Ordering::Relaxed);
                    let failed = self.stats.failing.swap(0, Ordering::Relaxed);
                    if self.failing.take().is_some() {
                        self.log.say(
                            Level::Info,
                            &format!("ledger: commits succeed again, after {failed} failed"),
                        );
                    }
                }
                Err(error) => {
                    self.stats.failures.fetch_add(1, Ordering::Relaxed);
                    self.stats.failing.fetch_add(1, Ordering::Relaxed);
                    // The engine has no logger of its own: the server's log gets it, dated.
                    if self.failing.as_ref() != Some(error) {
                        self.log.say(
                            Level::Error,
                            &format!(
                                "ledger: a commit failed, nothing of it was applied: {error} \
                                 (said once while commits keep failing so)"
                            ),
                        );
                        self.failing = Some(error.clone());
                    }
                }
            }
            committed
        };
        if committed.is_ok() {
            self.stats
                .entries
                .fetch_add(entries.len() as u64, Ordering::Relaxed);
            self.next_seq += entries.len() as u64;
            for (balance, cell) in balances.values() {
                cell.set(*balance);
            }
            for key in keys.keys() {
                self.references.insert(key);
            }
        }
        // Each new entry moves to the request that made it, in order: no copy on the way back.
        let mut fresh = entries.into_iter();
        for (job_outcomes, done) in outcomes.into_iter().zip(answers) {
            let applied = job_outcomes
                .into_iter()
                .map(|outcome| match (outcome, &committed) {
                    (Planned::New, Ok(())) => Applied::Done(
                        fresh
                            .next()
                            .expect("the batch made one entry for each New outcome"),
                    ),
                    (Planned::Repeat(entry), Ok(())) => Applied::Duplicate(entry),
                    (Planned::New | Planned::Repeat(_), Err(error)) => {
                        Applied::Failed(format!("the ledger could not write: {error}"))
                    }
                    (Planned::Stored(entry), _) => Applied::Duplicate(entry),
                    (Planned::Refused(reason), _) => Applied::Refused(reason),
                    (Planned::Failed(reason), _) => Applied::Failed(reason),
                })
                .collect();
            done(applied);
        }
    }

    /// Works out what one submission does, adding its entry to the batch.
    fn plan(
        &mut self,
        submission: Submission,
        now: Timestamp,
        entries: &mut Vec<Entry>,
        balances: &mut HashMap<Account, (Decimal, Arc<BalanceCell>)>,
        keys: &mut HashMap<RefKey, usize>,
    ) -> Planned {
        let (key, payer) = match &submission {
            Submission::Change(change) => (change.key(), Some(change.account)),
            Submission::Unpriced { key, account, .. } => (key.clone(), *account),
        };
        // A repeat answers the entry first made with its key, but only to the same payer.
        let repeat = |entry: &Entry| payer.is_none_or(|payer| payer == entry.account);
        if let Some(key) = &key {
            if let Some(&at) = keys.get(key) {
                return match repeat(&entries[at]) {
                    true => Planned::Repeat(entries[at].clone()),
                    false => Planned::Refused(OTHER_PAYER.into()),
                };
            }
            if self.references.may_contain(key) {
                match self.store.find(key) {
                    Ok(Some(entry)) if repeat(&entry) => return Planned::Stored(entry),
                    Ok(Some(_)) => return Planned::Refused(OTHER_PAYER.into()),
                    Ok(None) => {}
                    Err(error) => {
                        return Planned::Failed(format!("the ledger could not be read: {error}"))
                    }
                }
            }
        }
        let change = match submission {
            Submission::Change(change) => change,
            Submission::Unpriced { error, .. } => return Planned::Refused(error),
        };
        let before = match balances.get(&change.account) {
            Some((balance, _)) => *balance,
            None => change.cell.get(),
        };
        let after = if change.kind == Kind::Opening {
            Some(change.amount)
        } else {
            before.checked_add(change.amount)
        };
        let Some(after) = after else {
            return Planned::Refused("the balance would have more than 38 digits".into());
        };
        let at = entries.len();
        entries.push(Entry {
            seq: self.next_seq + at as u64,
            time: now,
            account: change.account,
            amount: change.amount,
            kind: change.kind,
            reference: change.reference,
            balance_after: after,
            description: change.description,
            call: change.call,
        });
        balances.insert(change.account, (after, change.cell));
        if let Some(key) = key {
            keys.insert(key, at);
        }
        Planned::New
    }
}
