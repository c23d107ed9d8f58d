//! The hand-off from requests to the committer, without a thread wake-up per request.
//!
//! A channel wakes its receiver on every send while the receiver waits, and the committer
//! waits most of the time: between two commits, and while it gathers requests into the next
//! one. Under load that was one futex wake, and one context switch of the committer, per
//! request. Here a request appends its job to a queue under a mutex, and wakes the
//! committer only when the committer is waiting *and* what it waits for has arrived: one
//! job when it is idle, enough jobs to end its gathering early when it gathers (otherwise
//! the gathering ends at its deadline, with no wake-up at all). While the committer writes
//! a commit, requests only queue. So a commit costs the committer at most one wake-up,
//! however many requests it carries; [`Inbox::wakeups`] counts them
//! (`ratel_ledger_committer_wakeups_total`).

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::change::{Done, Submission};

/// Submissions gathered into one transaction at most (a batch is never split, so one
/// larger batch is committed alone).
pub(crate) const MAX_BATCH: usize = 10_000;

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

/// The queue between the requests and the committer.
#[derive(Debug, Default)]
pub(crate) struct Inbox {
    state: Mutex<State>,
    ready: Condvar,
    /// Times a request woke the committer.
    wakeups: AtomicU64,
}

#[derive(Debug, Default)]
struct State {
    jobs: Vec<Job>,
    /// Submissions in `jobs`.
    queued: usize,
    /// Set while the committer waits: the submissions queued that end its wait.
    waiting_for: Option<usize>,
    /// No more jobs will come (the ledger is being dropped).
    closed: bool,
}

/// Closes the inbox when dropped, and drops what is still queued: held by the committer's
/// thread, so that a committer that ends for any reason, a panic included, leaves no request
/// waiting. A job pushed after that is refused, and each queued job's waiter sees its answer
/// channel close (answered "the committer has stopped").
pub(crate) struct ClosedOnExit(pub(crate) Arc<Inbox>);

impl Drop for ClosedOnExit {
    fn drop(&mut self) {
        self.0.close();
        // What is still queued is dropped outside the lock, so that each waiter sees its
        // answer channel close.
        let left = std::mem::take(&mut self.0.lock().jobs);
        drop(left);
    }
}

/// How a [`Inbox::take`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Jobs were moved into the batch (as many as were queued, up to `MAX_BATCH`).
    Jobs,
    /// The time ran out first (nothing, or not enough, was queued; what was is taken).
    TimedOut,
    /// The ledger is closed and nothing is left: the committer ends.
    Closed,
}

impl Inbox {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues a request's job; `false` (and the job dropped, so its waiter sees its reply
    /// channel close) when the ledger is closed.
    pub(crate) fn push(&self, job: Job) -> bool {
        let mut state = self.lock();
        if state.closed {
            return false;
        }
        state.queued += job.submissions.len().max(1);
        state.jobs.push(job);
        if state
            .waiting_for
            .is_some_and(|wanted| state.queued >= wanted)
        {
            state.waiting_for = None;
            drop(state);
            self.wakeups.fetch_add(1, Relaxed);
            self.ready.notify_one();
        }
        true
    }

    /// No more jobs: the committer takes what is queued, then ends.
    pub(crate) fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        drop(state);
        self.ready.notify_one();
    }

    /// Waits until `wanted` submissions are queued (or at most `wait`), then moves the
    /// queued jobs into `batch` while it holds fewer than `MAX_BATCH` submissions (a job is
    /// never split, and an empty batch always takes one). `held` is what `batch` holds.
    pub(crate) fn take(
        &self,
        wait: Duration,
        wanted: usize,
        held: &mut usize,
        batch: &mut Vec<Job>,
    ) -> Taken {
        let until = Instant::now() + wait;
        let mut state = self.lock();
        let mut timed_out = false;
        while state.queued < wanted && !state.closed {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                timed_out = true;
                break;
            }
            state.waiting_for = Some(wanted);
            state = self
                .ready
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.waiting_for = None;
        }
        if state.closed && state.jobs.is_empty() {
            // Nothing more will come: an empty batch ends the committer, a gathering ends.
            return if batch.is_empty() {
                Taken::Closed
            } else {
                Taken::TimedOut
            };
        }
        let mut taken = 0;
        for job in &state.jobs {
            if !(batch.is_empty() && taken == 0) && *held >= MAX_BATCH {
                break;
            }
            *held += job.submissions.len();
            taken += 1;
        }
        let rest = state.jobs.split_off(taken);
        let jobs = std::mem::replace(&mut state.jobs, rest);
        state.queued = state
            .jobs
            .iter()
            .map(|job| job.submissions.len().max(1))
            .sum();
        drop(state);
        batch.extend(jobs);
        if timed_out {
            Taken::TimedOut
        } else {
            Taken::Jobs
        }
    }

    /// Times a request woke the committer, since the start.
    pub(crate) fn wakeups(&self) -> u64 {
        self.wakeups.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::change::Applied;

    fn job(submissions: usize) -> Job {
        Job {
            submissions: (0..submissions)
                .map(|_| Submission::Unpriced {
                    key: None,
                    account: None,
                    error: "test".into(),
                })
                .collect(),
            done: Box::new(|_| {}),
        }
    }

    #[test]
    fn requests_that_find_the_committer_busy_wake_nobody() {
        let inbox = Inbox::default();
        for _ in 0..100 {
            assert!(inbox.push(job(1)));
        }
        assert_eq!(inbox.wakeups(), 0);
        let (mut held, mut batch) = (0, Vec::new());
        let taken = inbox.take(Duration::from_secs(5), 1, &mut held, &mut batch);
        assert_eq!((taken, batch.len(), held), (Taken::Jobs, 100, 100));
        assert_eq!(inbox.wakeups(), 0);
    }

    #[test]
    fn a_waiting_committer_is_woken_once_when_what_it_waits_for_arrives() {
        let inbox = Arc::new(Inbox::default());
        let waiter = Arc::clone(&inbox);
        let committer = std::thread::spawn(move || {
            let (mut held, mut batch) = (0, Vec::new());
            let taken = waiter.take(Duration::from_secs(30), 8, &mut held, &mut batch);
            (taken, held)
        });
        // Jobs pushed while it waits for 8 submissions: only the push reaching 8 wakes it.
        while inbox.lock().waiting_for.is_none() {
            std::thread::yield_now();
        }
        for _ in 0..4 {
            inbox.push(job(2));
        }
        let (taken, held) = committer.join().unwrap();
        assert_eq!(taken, Taken::Jobs);
        assert!(held >= 8, "{held}");
        assert_eq!(inbox.wakeups(), 1);
    }

    #[test]
    fn gathering_ends_at_its_deadline_with_what_came() {
        let inbox = Inbox::default();
        inbox.push(job(3));
        let (mut held, mut batch) = (0, Vec::new());
        let started = Instant::now();
        let taken = inbox.take(Duration::from_millis(20), 64, &mut held, &mut batch);
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert_eq!((taken, held, inbox.wakeups()), (Taken::TimedOut, 3, 0));
    }

    #[test]
    fn a_batch_is_never_split_and_stops_at_the_limit() {
        let inbox = Inbox::default();
        inbox.push(job(MAX_BATCH - 1));
        inbox.push(job(5));
        inbox.push(job(1));
        let (mut held, mut batch) = (0, Vec::new());
        inbox.take(Duration::ZERO, 1, &mut held, &mut batch);
        assert_eq!((batch.len(), held), (2, MAX_BATCH + 4));
        inbox.take(Duration::ZERO, 1, &mut held, &mut batch);
        assert_eq!(batch.len(), 2, "the batch is full");
        let (mut held, mut next) = (0, Vec::new());
        inbox.take(Duration::ZERO, 1, &mut held, &mut next);
        assert_eq!((next.len(), held), (1, 1));
    }

    #[test]
    fn a_committer_that_ends_leaves_nothing_waiting() {
        let inbox = Arc::new(Inbox::default());
        let (told, heard) = std::sync::mpsc::channel::<Vec<Applied>>();
        inbox.push(Job {
            submissions: Vec::new(),
            done: Box::new(move |outcomes| {
                let _ = told.send(outcomes);
            }),
        });
        drop(ClosedOnExit(Arc::clone(&inbox)));
        assert!(
            heard.recv().is_err(),
            "the queued job was dropped: its waiter is told"
        );
        assert!(!inbox.push(job(1)), "a job after the end is refused");
    }

    #[test]
    fn once_closed_the_queued_jobs_are_taken_then_the_end_is_said() {
        let inbox = Inbox::default();
        inbox.push(job(1));
        inbox.close();
        assert!(!inbox.push(job(1)), "refused once closed");
        let (mut held, mut batch) = (0, Vec::new());
        assert_eq!(
            inbox.take(Duration::from_secs(5), 1, &mut held, &mut batch),
            Taken::Jobs
        );
        // A gathering after the close ends at once, without waiting for its time.
        let (mut held, mut batch) = (0, vec![job(1)]);
        let started = Instant::now();
        assert_eq!(
            inbox.take(Duration::from_secs(5), 64, &mut held, &mut batch),
            Taken::TimedOut
        );
        assert!(started.elapsed() < Duration::from_secs(1));
        let (mut held, mut batch) = (0, Vec::new());
        assert_eq!(
            inbox.take(Duration::from_secs(5), 1, &mut held, &mut batch),
            Taken::Closed
        );
    }
}
