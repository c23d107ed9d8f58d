//! Whether the processors the server may use are all busy, for the committer's gathering:
//! waiting a little to put more changes into one commit saves the processor time of the
//! commits not made, which matters only when other work (reads) is waiting for a processor.
//! On an idle processor the wait only delays every answer (a client waiting for its answer
//! before it sends the next request sends fewer of them).
//!
//! Busy means either of two things over the last sample (about [`SAMPLE_EVERY`]):
//! - the machine's processors were in use [`BUSY_SHARE`] of the time (`/proc/stat`): other
//!   processes on the machine, such as load generators, are waiting too;
//! - this process used [`BUSY_SHARE`] of the processors it may use
//!   (`/proc/self/stat` against `available_parallelism`, which counts a container's CPU
//!   quota and the affinity mask): a server in a container of 2 CPUs on a large idle host.
//!
//! Once busy, the share must fall below [`IDLE_SHARE`] to count as idle again, so the answer
//! does not flip at every sample around one threshold. Counters are read on Linux; elsewhere,
//! or when they cannot be read, the processors count as busy (the committer then gathers, as
//! it always did). Time waiting for the disk counts as idle.

use std::time::{Duration, Instant};

/// How often the counters are read (between two reads, the last answer stands).
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The share of processor time in use at which the processors count as busy.
pub(crate) const BUSY_SHARE: f64 = 0.9;

/// The share below which busy processors count as idle again.
pub(crate) const IDLE_SHARE: f64 = 0.8;

/// Processor time so far, in clock ticks (the kernel's `USER_HZ`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counters {
    /// All the machine's processors: in use, and in all.
    machine_busy: u64,
    machine_total: u64,
    /// The machine's processors (`cpuN` lines).
    machine_cpus: u64,
    /// This process's user and system time.
    own: u64,
}

/// The committer's view of how busy the processors are.
#[derive(Debug)]
pub(crate) struct CpuBusy {
    /// When the counters were last read (or failed to be), and what they said.
    last: Option<(Instant, Option<Counters>)>,
    busy: bool,
    /// The processors this process may use, read once (`available_parallelism` reads the
    /// container's quota from files each time it is asked).
    allowed: f64,
}

impl Default for CpuBusy {
    fn default() -> CpuBusy {
        CpuBusy {
            last: None,
            busy: true,
            allowed: std::thread::available_parallelism().map_or(1, |n| n.get()) as f64,
        }
    }
}

impl CpuBusy {
    /// Reads the counters when the last read is [`SAMPLE_EVERY`] old. The committer calls this
    /// at every turn of its loop (at least every 10 ms, idle or not), so that a sample covers
    /// about the last [`SAMPLE_EVERY`], not a quiet minute before a burst.
    pub(crate) fn sample(&mut self, now: Instant) {
        if self
            .last
            .is_some_and(|(at, _)| now.duration_since(at) < SAMPLE_EVERY)
        {
            return;
        }
        let counters = read_counters();
        self.busy = match (self.last.and_then(|(_, last)| last), counters) {
            (Some(before), Some(after)) => {
                next_busy(self.busy, shares(before, after, self.allowed))
            }
            // No counters (not Linux, no /proc): busy, the committer gathers as it always did.
            (_, None) => true,
            // The first sample: nothing to compare with yet.
            (None, Some(_)) => self.busy,
        };
        self.last = Some((now, counters));
    }

    /// The answer of the last sample.
    pub(crate) fn busy(&self) -> bool {
        self.busy
    }
}

/// The machine's share of processor time in use, and this process's share of the `allowed`
/// processors it may use, between two readings (`None` when no time passed).
fn shares(before: Counters, after: Counters, allowed: f64) -> Option<(f64, f64)> {
    let total = after.machine_total.checked_sub(before.machine_total)?;
    if total == 0 || after.machine_cpus == 0 {
        return None;
    }
    let machine = after.machine_busy.saturating_sub(before.machine_busy) as f64 / total as f64;
    // Ticks of one processor over the interval, times the processors this process may use.
    let one_cpu = total as f64 / after.machine_cpus as f64;
    let own = after.own.saturating_sub(before.own) as f64 / (one_cpu * allowed);
    Some((machine, own))
}

/// Busy from the shares of the last interval, with the hysteresis of [`IDLE_SHARE`]; no
/// interval (no time passed) keeps the answer.
fn next_busy(busy: bool, shares: Option<(f64, f64)>) -> bool {
    let Some((machine, own)) = shares else {
        return busy;
    };
    let share = machine.max(own);
    if busy {
        share >= IDLE_SHARE
    } else {
        share >= BUSY_SHARE
    }
}

/// The counters now, from `/proc/stat` and `/proc/self/stat`.
fn read_counters() -> Option<Counters> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let own = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_counters(&stat, &own)
}

fn parse_counters(stat: &str, own: &str) -> Option<Counters> {
    let (machine_busy, machine_total) = parse_cpu_line(stat.lines().next()?)?;
    let machine_cpus = stat
        .lines()
        .filter(|line| {
            line.strip_prefix("cpu")
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count() as u64;
    Some(Counters {
        machine_busy,
        machine_total,
        machine_cpus,
        own: parse_own_ticks(own)?,
    })
}

/// `cpu  user nice system idle iowait irq softirq steal ...` → (busy, total): idle and
/// waiting for the disk count as not busy.
fn parse_cpu_line(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_ascii_whitespace();
    if fields.next()? != "cpu" {
        return None;
    }
    let ticks: Vec<u64> = fields
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if ticks.len() < 5 {
        return None;
    }
    let total = ticks.iter().try_fold(0u64, |sum, &t| sum.checked_add(t))?;
    let idle = ticks[3].checked_add(ticks[4])?;
    Some((total.checked_sub(idle)?, total))
}

/// User plus system ticks of `/proc/self/stat` (fields 14 and 15, counted after the command
/// name, which is in parentheses and may hold spaces).
fn parse_own_ticks(own: &str) -> Option<u64> {
    let after_name = &own[own.rfind(')')? + 1..];
    let mut fields = after_name.split_ascii_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th and stime the 13th.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    utime.checked_add(stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 50 2 25 400 10 1 1 5 0 0\n\
                        cpu1 50 3 25 400 10 2 1 5 0 0\nintr 12345\nctxt 999\n";
    const OWN: &str = "4242 (ratel server) S 1 4242 4242 0 -1 4194560 500 0 0 0 \
                       70 30 0 0 20 0 9 0 12345 1000000 5000";

    #[test]
    fn the_counters_are_read_from_the_kernels_text() {
        assert_eq!(
            parse_counters(STAT, OWN),
            Some(Counters {
                machine_busy: 170,
                machine_total: 990,
                machine_cpus: 2,
                own: 100,
            })
        );
        assert_eq!(parse_cpu_line("cpu0 1 2 3 4 5"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 x 4 5"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 3"), None);
        assert_eq!(parse_own_ticks("1 (a) S"), None);
        assert_eq!(parse_counters("intr 1\n", OWN), None);
    }

    fn counters(machine_busy: u64, machine_total: u64, own: u64) -> Counters {
        Counters {
            machine_busy,
            machine_total,
            machine_cpus: 2,
            own,
        }
    }

    #[test]
    fn the_machine_or_this_process_can_make_the_processors_busy() {
        let before = counters(0, 0, 0);
        // The machine 95% in use over 200 ticks (100 a processor).
        let machine = shares(before, counters(190, 200, 0), 2.0).unwrap();
        assert!((machine.0 - 0.95).abs() < 1e-9);
        assert!(next_busy(false, Some(machine)));
        // The machine half idle: not busy, unless this process used all it may use (one
        // processor of a quota of one: 100 ticks of the 100 one processor had).
        let own = shares(before, counters(100, 200, 100), 1.0).unwrap();
        assert!((own.1 - 1.0).abs() < 1e-9);
        assert!(next_busy(false, Some(own)));
        // The same 100 ticks with two processors allowed: half of them, not busy.
        let half = shares(before, counters(100, 200, 100), 2.0).unwrap();
        assert!((half.1 - 0.5).abs() < 1e-9);
        assert!(!next_busy(false, Some(half)));
        assert!(!next_busy(
            false,
            shares(before, counters(100, 200, 0), 2.0)
        ));
        // No time passed: the answer stands.
        assert_eq!(shares(before, before, 2.0), None);
        assert!(next_busy(true, None) && !next_busy(false, None));
    }

    #[test]
    fn busy_processors_must_fall_below_the_idle_share_to_count_as_idle() {
        assert!(next_busy(false, Some((0.9, 0.0))));
        assert!(!next_busy(false, Some((0.89, 0.0))));
        assert!(next_busy(true, Some((0.85, 0.0))));
        assert!(next_busy(true, Some((0.8, 0.0))));
        assert!(!next_busy(true, Some((0.79, 0.0))));
    }

    #[test]
    fn a_sample_stands_until_it_is_old_and_a_failed_read_is_not_retried_at_once() {
        let mut cpu = CpuBusy::default();
        let start = Instant::now();
        cpu.sample(start);
        assert!(cpu.last.is_some(), "a read, done or failed, is remembered");
        let first = cpu.busy();
        cpu.sample(start + SAMPLE_EVERY / 2);
        assert_eq!(cpu.busy(), first);
        assert_eq!(cpu.last.map(|(at, _)| at), Some(start));
    }
}
