//! Waiting for the ledger from a request: the request's coroutine parks while its commit is
//! written, never the worker thread (the other connections on that thread go on being
//! served), and the committer's answers come back without a thread wake-up per request.
//!
//! A coroutine woken from a thread outside `may`'s workers (the committer) is queued
//! globally and its worker is signalled through an eventfd: one `write` system call, and one
//! wake-up of the worker's event loop, per request. So the committer does not wake the
//! requests itself: it queues their answers in [`Replies`], and only the answer that finds
//! the queue empty wakes the one replier coroutine. That coroutine, on a worker, hands every
//! queued answer to its request; a coroutine woken from a worker goes on that worker's own
//! queue, with no system call. A commit of many requests costs one wake-up.

use std::sync::{Arc, Mutex, PoisonError};

use ratel_engine::ledger::{Applied, Commit, Ledger, LedgerError, Submission};

/// One request's answer on its way back to it.
type Reply = (may::sync::mpsc::Sender<Vec<Applied>>, Vec<Applied>);

/// The committer's answers, queued for the replier coroutine.
#[derive(Debug)]
pub struct Replies {
    queue: Mutex<Vec<Reply>>,
    /// Wakes the replier (one message when the queue stops being empty).
    wake: Mutex<may::sync::mpsc::Sender<()>>,
}

impl Replies {
    /// The queue, and the replier coroutine that empties it (it runs for the life of the
    /// process).
    pub fn start() -> Arc<Replies> {
        let (wake, woken) = may::sync::mpsc::channel();
        let replies = Arc::new(Replies {
            queue: Mutex::new(Vec::new()),
            wake: Mutex::new(wake),
        });
        let queued = Arc::clone(&replies);
        may::go!(move || {
            let mut taken = Vec::new();
            while woken.recv().is_ok() {
                std::mem::swap(&mut taken, &mut *queued.lock());
                for (request, outcomes) in taken.drain(..) {
                    // A request that went away (its connection closed) needs no answer.
                    let _ = request.send(outcomes);
                }
            }
        });
        replies
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Reply>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one answer (the committer's thread); wakes the replier if nothing was queued.
    fn send(&self, reply: Reply) {
        let mut queue = self.lock();
        let first = queue.is_empty();
        queue.push(reply);
        drop(queue);
        if first {
            let _ = self
                .wake
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .send(());
        }
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
        for (i, receiver) in receivers.into_iter().enumerate() {
            assert_eq!(
                receiver.recv().unwrap(),
                vec![Applied::Refused(format!("answer {i}"))]
            );
        }
        committer.join().unwrap();
        assert!(replies.lock().is_empty());
    }
}
