//! The reload-under-load loop: swap decks over the artifact and signal the server while a
//! probe keeps asking for a rate, to show answers change cleanly and never fail.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use super::get;

/// What the reload loop did and what its probe saw.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Renames of a deck over the artifact, each followed by a `SIGHUP`.
    pub swaps: u64,
    pub swap_failures: u64,
    /// The probe's answers, in order: the rate, or the whole body when it had none.
    pub samples: Vec<String>,
}

impl ReloadReport {
    /// Distinct answers the probe saw, sorted.
    pub fn distinct(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = self.samples.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// How many times consecutive answers differed.
    pub fn changes(&self) -> usize {
        self.samples.windows(2).filter(|w| w[0] != w[1]).count()
    }
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} swaps ({} failed); probe: {} answers, rates seen: {}, {} changes",
            self.swaps,
            self.swap_failures,
            self.samples.len(),
            self.distinct().join(" "),
            self.changes()
        )
    }
}

/// The reload-under-load loop: for `duration`, every `every`, link the next of `decks`
/// beside `artifact`, rename it over `artifact` (atomic) and send `SIGHUP` to `pid`;
/// meanwhile ask `probe` (a `rate_get` path) of the server at `addr` every `probe_every` and
/// record the rate.
#[derive(Debug)]
pub struct ReloadLoop<'a> {
    pub artifact: &'a Path,
    pub decks: &'a [std::path::PathBuf],
    pub pid: i32,
    pub addr: SocketAddr,
    pub probe: &'a str,
    pub every: Duration,
    pub probe_every: Duration,
    pub duration: Duration,
}

impl ReloadLoop<'_> {
    pub fn run(&self) -> ReloadReport {
        let ReloadLoop {
            artifact,
            decks,
            pid,
            addr,
            probe,
            every,
            probe_every,
            duration,
        } = *self;
        let deadline = Instant::now() + duration;
        let mut report = ReloadReport::default();
        std::thread::scope(|scope| {
            let swapper = scope.spawn(|| {
                let (mut swaps, mut failures) = (0, 0);
                let next = artifact.with_extension("next");
                let mut turn = 0;
                while Instant::now() < deadline && !decks.is_empty() {
                    let deck = &decks[turn % decks.len()];
                    turn += 1;
                    let _ = std::fs::remove_file(&next);
                    let swapped = std::fs::hard_link(deck, &next)
                        .and_then(|()| std::fs::rename(&next, artifact))
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            nix::sys::signal::kill(
                                nix::unistd::Pid::from_raw(pid),
                                nix::sys::signal::Signal::SIGHUP,
                            )
                            .map_err(|e| e.to_string())
                        });
                    match swapped {
                        Ok(()) => swaps += 1,
                        Err(_) => failures += 1,
                    }
                    std::thread::sleep(every);
                }
                (swaps, failures)
            });
            while Instant::now() < deadline {
                let answer = match get(addr, probe, Duration::from_secs(5)) {
                    Ok((_, body)) => body
                        .split_once("<rate>")
                        .and_then(|(_, rest)| rest.split_once('#'))
                        .map_or(body.clone(), |(rate, _)| rate.to_owned()),
                    Err(error) => format!("error: {error}"),
                };
                report.samples.push(answer);
                std::thread::sleep(probe_every);
            }
            (report.swaps, report.swap_failures) = swapper.join().unwrap_or((0, 0));
        });
        report
    }
}
