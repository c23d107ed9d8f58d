//! The one way requests reach the ledger: a batch of submissions in, their outcomes out.

use super::change::{Applied, Submission};

/// Turns any batch of submissions into their outcomes, in order. The server's version waits
/// without blocking a worker thread; [`Ledger`]'s own blocks the calling thread.
pub trait Commit {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied>;
}

/// A [`Commit`] for callers without a ledger (read-only tools, tests of read endpoints):
/// every submission fails and nothing changes.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLedger;

impl Commit for NoLedger {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied> {
        vec![Applied::Failed("no ledger is configured".into()); submissions.len()]
    }
}
