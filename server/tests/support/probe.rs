//! What a test reads of a running server: a metric of `/metrics`, its memory, CPU time and
//! threads' priorities from `/proc`, and the time at the head of its log lines.

use std::collections::BTreeMap;

use super::server::Server;

/// The value of the metric line `name` (with its labels, as printed) in a `/metrics` body.
pub fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// The server's resident memory, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The value of an unlabelled metric.
pub fn metric_of(server: &Server, name: &str) -> f64 {
    let metrics = server.admin_request("GET", "/metrics").body;
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("{name} not in {metrics}"))
}

/// CPU time (user + system, in clock ticks) the process has used.
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// The nice value of each thread of process `pid`, by thread name.
pub fn thread_nice(pid: u32) -> BTreeMap<String, Vec<i64>> {
    let mut nice: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let task = task.unwrap().path();
        let name = std::fs::read_to_string(task.join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(task.join("stat")).unwrap_or_default();
        // Fields after the name, which ends with the last ')': state is field 3, nice 19.
        let Some((_, after)) = stat.rsplit_once(") ") else {
            continue;
        };
        let value = after.split(' ').nth(19 - 3).unwrap().parse().unwrap();
        nice.entry(name.trim_end().to_owned())
            .or_default()
            .push(value);
    }
    nice
}

/// Whether `text` starts with an RFC 3339 UTC time to the millisecond.
pub fn starts_with_rfc3339(text: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    text.len() >= shape.len()
        && shape.bytes().zip(text.bytes()).all(|(s, t)| match s {
            b'd' => t.is_ascii_digit(),
            _ => s == t,
        })
}
