//! Waiting for the ledger from a request: the request's coroutine parks while its commit is
//! written, never the worker thread (the other connections on that thread go on being
//! served), and the committer's answers come back without a thread wake-up per request.
//!
//! A coroutine woken from a thread outside `may`'s workers (the committer) is queued
//! globally and its worker is signalled through an eventfd: one `write` system call, and one
//! wake-up of the worker's event loop, per request. So the committer does not wake the
//! requests itself: it sends their answers on one `may` channel ([`Replies`]), whose send
//! wakes the one replier coroutine only when it is parked, waiting for an empty channel.
//! That coroutine, on a worker, hands every answer to its request; a coroutine woken from a
//! worker goes on that worker's own queue, with no system call. A commit of many requests
//! costs one wake-up.

use std::sync::{Arc, Mutex, PoisonError};

use ratel_engine::ledger::{Applied, Commit, Ledger, LedgerError, Submission};

/// One request's answer on its way back to it.
type Reply = (may::sync::mpsc::Sender<Vec<Applied>>, Vec<Applied>);

/// The committer's answers on their way to the replier coroutine. (`may`'s `Sender` is not
/// `Sync`: the mutex lets the committer's thread and the tests share it; only the committer
/// sends in the server.)
#[derive(Debug)]
pub struct Replies(Mutex<may::sync::mpsc::Sender<Reply>>);

impl Replies {
    /// The channel, and the replier coroutine that empties it (it ends once the channel is
    /// dropped).
    pub fn start() -> Arc<Replies> {
        let (sender, answers) = may::sync::mpsc::channel::<Reply>();
        may::go!(move || {
            while let Ok((request, outcomes)) = answers.recv() {
                // A request that went away (its connection closed) needs no answer.
                let _ = request.send(outcomes);
            }
        });
        Arc::new(Replies(Mutex::new(sender)))
    }

    /// Sends one answer (the committer's thread); the replier is woken only if it waits.
    fn send(&self, reply: Reply) {
        let _ = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .send(reply);
    }
}

/// The ledger, as a request's coroutine commits to it.
#[derive(Debug, Clone, Copy)]
pub struct CoroutineCommit<'l> {
    pub ledger: &'l Ledger,
    pub replies: &'l Arc<Replies>,
}

impl Commit for CoroutineCommit<'_> {
    fn commit(&self, submissions: Vec<Submission>) -> Vec<Applied> {
        let count = submissions.len();
        let (sender, receiver) = may::sync::mpsc::channel();
        let replies = Arc::clone(self.replies);
        self.ledger.submit(
            submissions,
            Box::new(move |outcomes| replies.send((sender, outcomes))),
        );
        receiver.recv().unwrap_or_else(|_| {
            let stopped = LedgerError::Stopped(self.ledger.path().display().to_string());
            vec![Applied::Failed(stopped.to_string()); count]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_queued_by_another_thread_reaches_its_request() {
        let replies = Replies::start();
        let waiting: Vec<_> = (0..200).map(|_| may::sync::mpsc::channel()).collect();
        let (senders, receivers): (Vec<_>, Vec<_>) = waiting.into_iter().unzip();
        // The committer's thread: answers in bursts, as commits make them.
        let committer = {
            let replies = Arc::clone(&replies);
            std::thread::spawn(move || {
                for (i, sender) in senders.into_iter().enumerate() {
                    replies.send((sender, vec![Applied::Refused(format!("answer {i}"))]));
                    if i % 50 == 49 {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                }
            })
        };
        for (i, receiver) in receivers.iter().enumerate() {
            assert_eq!(
                receiver.recv().unwrap(),
                vec![Applied::Refused(format!("answer {i}"))]
            );
        }
        committer.join().unwrap();
        // Nothing is left queued for the replier: every answer went out, once.
        drop(replies);
        std::thread::sleep(std::time::Duration::from_millis(20));
        for (i, receiver) in receivers.iter().enumerate() {
            assert!(receiver.try_recv().is_err(), "request {i} answered twice");
        }
    }
}
