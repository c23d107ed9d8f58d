//! Reloads run on one dedicated thread, one at a time, never on a worker that serves
//! connections: a slow or stuck reload cannot stall an answer.
//!
//! `POST /reload` and `SIGHUP` queue a request. The reload thread takes every request
//! queued so far, runs one reload for all of them, and answers each. So a request waits
//! for the next reload that *starts* after it arrived (it reads the files the caller just
//! wrote, never an older reading), and requests that arrive together share one reload. The
//! caller waits on a `may` channel, which parks its coroutine and not the worker thread,
//! and for at most [`WAIT`]: after that it is told the reload is still running.
//!
//! The snapshot a reload replaces is kept by this thread until every request holding it
//! has let go, and freed here: dropping the accounts of 100k users and 100k cards takes
//! 67–82 ms, which an API worker should not spend between two answers.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use may::sync::mpsc;
use ratel_engine::snapshot::Snapshot;

use crate::log::{self, write_rfc3339};

/// How long `POST /reload` waits for its reload before answering that it still runs.
pub const WAIT: Duration = Duration::from_secs(10);

/// How often retired snapshots are checked for their last reader, while any are kept.
const RETIRE_EVERY: Duration = Duration::from_millis(100);

/// What a reload said: the message for the caller and the log.
pub type ReloadResult = Result<String, String>;

/// A queued request: who waits for its outcome (nobody, for a signal).
type Waiter = Option<mpsc::Sender<Arc<ReloadResult>>>;

/// The queue to the reload thread.
#[derive(Debug)]
pub struct Reloads {
    queue: mpsc::Sender<Waiter>,
}

/// The reload thread's end of the queue, until [`spawn`] takes it.
#[derive(Debug)]
pub struct Queue(mpsc::Receiver<Waiter>);

/// What a caller of [`Reloads::request`] learns.
#[derive(Debug)]
pub enum Reply {
    /// The reload that started after the request finished, with this outcome.
    Done(Arc<ReloadResult>),
    /// It is still running after [`WAIT`].
    StillRunning,
}

impl Reloads {
    /// A queue, and its other end for [`spawn`].
    pub fn new() -> (Reloads, Queue) {
        let (queue, receiver) = mpsc::channel();
        (Reloads { queue }, Queue(receiver))
    }

    /// Asks for a reload and waits (parking the coroutine, not the thread) for its outcome,
    /// at most `wait`.
    pub fn request(&self, wait: Duration) -> Reply {
        let (reply, outcome) = mpsc::channel();
        if self.queue.send(Some(reply)).is_err() {
            return Reply::Done(Arc::new(Err("the reload thread has stopped".into())));
        }
        match outcome.recv_timeout(wait) {
            Ok(outcome) => Reply::Done(outcome),
            Err(RecvTimeoutError::Timeout) => Reply::StillRunning,
            Err(RecvTimeoutError::Disconnected) => {
                Reply::Done(Arc::new(Err("the reload thread has stopped".into())))
            }
        }
    }

    /// Asks for a reload without waiting for it (`SIGHUP`).
    pub fn signal(&self) {
        let _ = self.queue.send(None);
    }
}

/// Starts the reload thread, serving `queue` for as long as the process runs: `reload` does
/// one reload, `failed` is told why when one panicked.
pub fn spawn(
    queue: Queue,
    mut reload: impl FnMut() -> (ReloadResult, Option<Arc<Snapshot>>) + Send + 'static,
    mut failed: impl FnMut(&str) + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ratel-reload".into())
        .spawn(move || {
            lower_priority();
            run(&queue.0, &mut reload, &mut failed);
        })
        .map(drop)
}

/// Gives the calling thread the lowest scheduling priority (nice 19), so a reload takes the
/// CPU the API leaves idle instead of sharing it equally with the workers. On Linux the nice
/// value is a thread's own: the workers keep theirs.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority(2) takes plain integers and touches no memory of ours; `who`
        // 0 with PRIO_PROCESS is the calling thread on Linux (nice is per thread there).
        #[allow(unsafe_code)]
        let done = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, 19) };
        if done != 0 {
            log::warn(format_args!(
                "cannot lower the reload thread's priority: {}",
                std::io::Error::last_os_error()
            ));
        }
    }
}

/// Serves `queue` with `reload` until every sender is gone. A reload that panics is a failed
/// reload (`panicked` counts it): the thread goes on serving the next one.
fn run(
    queue: &mpsc::Receiver<Waiter>,
    mut reload: impl FnMut() -> (ReloadResult, Option<Arc<Snapshot>>),
    mut panicked: impl FnMut(&str),
) {
    let mut retired: Vec<Arc<Snapshot>> = Vec::new();
    loop {
        let first = if retired.is_empty() {
            queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            queue.recv_timeout(RETIRE_EVERY)
        };
        let first = match first {
            Ok(request) => request,
            Err(RecvTimeoutError::Timeout) => {
                free_unread(&mut retired);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        // Everything queued before this reload starts is served by it.
        let mut waiting: Vec<_> = std::iter::once(first).flatten().collect();
        waiting.extend(queue.try_iter().flatten());
        // The panic hook (`log::log_panics`) has logged where it panicked.
        let (outcome, replaced) = match std::panic::catch_unwind(AssertUnwindSafe(&mut reload)) {
            Ok(done) => done,
            Err(_) => {
                let reason = "the reload panicked (see the log)";
                let message = format!("reload failed, the previous data stays in force: {reason}");
                log::error(&message);
                panicked(reason);
                (Err(message), None)
            }
        };
        retired.extend(replaced);
        let outcome = Arc::new(outcome);
        for waiter in waiting {
            let _ = waiter.send(Arc::clone(&outcome));
        }
        free_unread(&mut retired);
    }
}

/// Frees the retired snapshots nobody else holds any more.
fn free_unread(retired: &mut Vec<Arc<Snapshot>>) {
    retired.retain(|snapshot| Arc::strong_count(snapshot) > 1);
}

/// The failing streak of reloads, for `/healthz`: cleared by the next good reload.
#[derive(Debug, Default)]
pub struct Failures(std::sync::Mutex<Option<Failing>>);

#[derive(Debug)]
struct Failing {
    since: SystemTime,
    last: SystemTime,
    count: u64,
    reason: String,
}

impl Failures {
    /// A reload failed for `reason`.
    pub fn failed(&self, reason: &str) {
        let now = SystemTime::now();
        let mut failing = self.lock();
        let since = failing.as_ref().map_or(now, |f| f.since);
        let count = failing.as_ref().map_or(0, |f| f.count) + 1;
        *failing = Some(Failing {
            since,
            last: now,
            count,
            reason: reason.to_owned(),
        });
    }

    /// A reload succeeded.
    pub fn cleared(&self) {
        *self.lock() = None;
    }

    /// Appends what `/healthz` says of the streak, if any: `; last reload failed at T: why`,
    /// and since when when more than one failed in a row.
    pub fn describe(&self, out: &mut String) {
        let failing = self.lock();
        let Some(failing) = failing.as_ref() else {
            return;
        };
        out.push_str("; last reload failed at ");
        write_rfc3339(out, failing.last);
        if failing.count > 1 {
            out.push_str(" (");
            out.push_str(&failing.count.to_string());
            out.push_str(" in a row, failing since ");
            write_rfc3339(out, failing.since);
            out.push(')');
        }
        out.push_str(": ");
        // The first line: a list of input errors is in the log and the reload's answer.
        let mut lines = failing.reason.lines();
        out.push_str(lines.next().unwrap_or_default());
        let more = lines.count();
        if more > 0 {
            out.push_str(&format!(" (and {more} more lines in the log)"));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Failing>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc as std_mpsc;

    /// A request that arrives while a reload runs is served by the next one, which starts
    /// after it arrived; requests that arrive together share that one reload.
    #[test]
    fn a_request_waits_for_the_next_reload_that_starts_after_it_and_shares_it() {
        let (reloads, queue) = Reloads::new();
        let (started_tx, started) = std_mpsc::channel();
        let (release, released) = std_mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut count = 0;
            run(
                &queue.0,
                || {
                    count += 1;
                    started_tx.send(count).unwrap();
                    released.recv().unwrap();
                    (Ok(format!("reload {count}")), None)
                },
                |_| unreachable!("no reload panics"),
            );
            count
        });
        let reloads = Arc::new(reloads);
        let ask = |reloads: &Arc<Reloads>| {
            let reloads = Arc::clone(reloads);
            std::thread::spawn(move || match reloads.request(Duration::from_secs(10)) {
                Reply::Done(outcome) => (*outcome).clone(),
                Reply::StillRunning => Err("still running".into()),
            })
        };
        let first = ask(&reloads);
        assert_eq!(started.recv().unwrap(), 1, "the first reload is running");
        // Two requests and a signal while it runs.
        let (second, third) = (ask(&reloads), ask(&reloads));
        reloads.signal();
        std::thread::sleep(Duration::from_millis(300));
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap(), Ok("reload 1".into()));
        assert_eq!(started.recv().unwrap(), 2, "one more reload, for all three");
        release.send(()).unwrap();
        assert_eq!(second.join().unwrap(), Ok("reload 2".into()));
        assert_eq!(third.join().unwrap(), Ok("reload 2".into()));
        // A waiter's patience is bounded: told it still runs, the reload goes on.
        let impatient = Arc::clone(&reloads);
        let waiting = std::thread::spawn(move || impatient.request(Duration::from_millis(50)));
        assert_eq!(started.recv().unwrap(), 3);
        assert!(matches!(waiting.join().unwrap(), Reply::StillRunning));
        release.send(()).unwrap();
        drop(reloads);
        assert_eq!(
            thread.join().unwrap(),
            3,
            "the thread ends with the last sender"
        );
    }

    /// Review: a panic on the reload thread ended it, and every later reload answered that
    /// the thread had stopped. Now the panic is a failed reload and the next one runs.
    #[test]
    fn a_reload_that_panics_fails_and_the_next_one_runs() {
        let (reloads, queue) = Reloads::new();
        let (counted, panics) = std_mpsc::channel();
        let thread = std::thread::spawn(move || {
            let mut count = 0;
            run(
                &queue.0,
                || {
                    count += 1;
                    if count == 1 {
                        panic!("a bug in a reload");
                    }
                    (Ok(format!("reload {count}")), None)
                },
                |reason| counted.send(reason.to_owned()).unwrap(),
            );
        });
        let ask = || match reloads.request(Duration::from_secs(10)) {
            Reply::Done(outcome) => (*outcome).clone(),
            Reply::StillRunning => Err("still running".into()),
        };
        assert_eq!(
            ask(),
            Err("reload failed, the previous data stays in force: the reload panicked (see the log)".into())
        );
        assert_eq!(
            panics.try_recv().unwrap(),
            "the reload panicked (see the log)"
        );
        assert_eq!(ask(), Ok("reload 2".into()), "the thread still reloads");
        assert!(panics.try_recv().is_err(), "one failure counted");
        drop(reloads);
        thread.join().unwrap();
    }
}
