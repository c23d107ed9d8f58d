//! What a test reads of a running server: a metric of `/metrics`, its memory, CPU time and
//! threads' priorities from `/proc`, and the time at the head of its log lines.

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
