//! Whether the machine's processors are all busy, for the committer's gathering: waiting a
//! little to put more changes into one commit saves the processor time of the commits not
//! made, which matters only when other work (reads) is waiting for a processor. On an idle
//! processor the wait only delays every answer (a client waiting for its answer before it
//! sends the next request sends fewer of them).
//!
//! Read from the kernel's counters of processor time (`/proc/stat`, Linux) at most every
//! [`SAMPLE_EVERY`]; elsewhere, or when they cannot be read, the machine counts as busy (the
//! committer then gathers, as it always did).

use std::time::{Duration, Instant};

/// How often the counters are read again (between two reads, the last answer stands).
pub(crate) const SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// The share of processor time that must be in use, over the last sample, for the machine
/// to count as busy.
pub(crate) const BUSY_SHARE: f64 = 0.9;

/// The last sample of the machine's processor time.
#[derive(Debug)]
pub(crate) struct CpuBusy {
    /// When the counters were last read, and what they said: (busy, total) in clock ticks.
    last: Option<(Instant, u64, u64)>,
    busy: bool,
}

impl Default for CpuBusy {
    fn default() -> CpuBusy {
        CpuBusy {
            last: None,
            busy: true,
        }
    }
}

impl CpuBusy {
    /// Whether at least [`BUSY_SHARE`] of the machine's processor time was in use between the
    /// last two samples (a new one is taken when the last is [`SAMPLE_EVERY`] old).
    pub(crate) fn busy(&mut self, now: Instant) -> bool {
        if self
            .last
            .is_some_and(|(at, _, _)| now.duration_since(at) < SAMPLE_EVERY)
        {
            return self.busy;
        }
        let Some((busy, total)) = read_counters() else {
            self.busy = true;
            return true;
        };
        if let Some((_, last_busy, last_total)) = self.last {
            self.busy = share_busy(busy - last_busy.min(busy), total - last_total.min(total));
        }
        self.last = Some((now, busy, total));
        self.busy
    }
}

/// Whether `busy` ticks of `total` reach [`BUSY_SHARE`] (no tick at all: busy, the safe
/// side).
fn share_busy(busy: u64, total: u64) -> bool {
    total == 0 || busy as f64 >= BUSY_SHARE * total as f64
}

/// The machine's processor time so far as (busy, total) clock ticks: the `cpu` line of
/// `/proc/stat`, idle and waiting for the disk counting as not busy.
fn read_counters() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_cpu_line(stat.lines().next()?)
}

/// `cpu  user nice system idle iowait irq softirq steal ...` → (busy, total).
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
    let total: u64 = ticks.iter().sum();
    let idle = ticks[3] + ticks[4];
    Some((total - idle, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cpu_line_gives_busy_and_total_ticks() {
        let line = "cpu  100 5 50 800 20 3 2 10 0 0";
        assert_eq!(parse_cpu_line(line), Some((170, 990)));
        assert_eq!(parse_cpu_line("cpu0 1 2 3 4 5"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 x 4 5"), None);
        assert_eq!(parse_cpu_line("cpu  1 2 3"), None);
    }

    #[test]
    fn busy_means_nine_tenths_of_the_ticks_in_use() {
        assert!(share_busy(90, 100));
        assert!(!share_busy(89, 100));
        assert!(share_busy(0, 0));
    }

    #[test]
    fn a_sample_stands_until_it_is_old() {
        let mut cpu = CpuBusy::default();
        let start = Instant::now();
        let first = cpu.busy(start);
        // Within SAMPLE_EVERY the answer is the one given, whatever the machine does.
        assert_eq!(cpu.busy(start + SAMPLE_EVERY / 2), first);
        if read_counters().is_some() {
            assert!(cpu.last.is_some());
        }
    }
}
