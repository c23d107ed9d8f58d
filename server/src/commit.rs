//! Waiting for the ledger from a request: the committer thread calls back through a `may`
//! channel, so a request waiting for its commit parks its coroutine, never the worker thread
//! (the other connections on that thread go on being served).

use ratel_engine::ledger::{Applied, Commit, Ledger, LedgerError, Submission};

/// The ledger, as a request's coroutine commits to it.
#[derive(Debug, Clone, Copy)]
pub struct CoroutineCommit<'l> {
    pub ledger: &'l Ledger,
}

impl Commit for CoroutineCommit<'_> {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied> {
        let count = submissions.len();
        let (sender, receiver) = may::sync::mpsc::channel();
        self.ledger.submit(
            submissions,
            Box::new(move |outcomes| {
                let _ = sender.send(outcomes);
            }),
        );
        receiver.recv().unwrap_or_else(|_| {
            let stopped = LedgerError::Stopped(self.ledger.path().display().to_string());
            vec![Applied::Failed(stopped.to_string()); count]
        })
    }
}
