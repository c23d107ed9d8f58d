//! Counters for `/metrics`, in Prometheus text format: requests by endpoint and outcome, HTTP
//! refusals by status, an API latency histogram, and the snapshot's generation, load time,
//! size and reload failures. Plain atomics: a request pays a few relaxed increments, on
//! counters sharded by thread so that the workers do not pass one cache line back and forth
//! (the sums are taken when `/metrics` is read).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use ratel_engine::json_api;
use ratel_engine::mor_api::{Counted, Endpoint};
use ratel_engine::snapshot::{Reread, Snapshot};

use crate::http::HttpStatus;
use crate::listener::Listener;

/// Upper bounds of the latency buckets, in microseconds.
const BUCKETS_US: [u64; 9] = [25, 50, 100, 250, 500, 1_000, 2_500, 10_000, 100_000];

/// Upper bounds of the reload duration buckets, in milliseconds.
const RELOAD_BUCKETS_MS: [u64; 10] = [1, 5, 10, 50, 100, 500, 1_000, 5_000, 10_000, 30_000];

/// HTTP statuses counted as refusals (JSON API errors are answers, counted by outcome).
const REFUSALS: [HttpStatus; 7] = [
    HttpStatus::BadRequest,
    HttpStatus::NotFound,
    HttpStatus::MethodNotAllowed,
    HttpStatus::PayloadTooLarge,
    HttpStatus::UriTooLong,
    HttpStatus::HeadersTooLarge,
    HttpStatus::NotImplemented,
];

/// Shards of the per-request counters; a thread uses the shard its first use picked.
const SHARDS: usize = 16;

/// What every answered request counts, in one thread's shard (two cache lines of its own).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard {
    /// Per endpoint (in `Endpoint::ALL` order): answered, refused.
    requests: [[AtomicU64; 2]; Endpoint::ALL.len()],
    /// Latency buckets (`BUCKETS_US`), then the bucket past the last bound.
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    /// Summed in nanoseconds: most answers take under a microsecond, which whole
    /// microseconds would count as 0.
    latency_sum_ns: AtomicU64,
    /// Requests received whole and not yet answered, as counted through this shard (a
    /// request may finish on another thread: only the sum over shards means anything).
    in_flight: AtomicI64,
    /// JSON API requests per endpoint (in `json_api::Endpoint::ALL` order), by
    /// `JSON_OUTCOMES`.
    json: [[AtomicU64; JSON_OUTCOMES.len()]; json_api::Endpoint::ALL.len()],
}

/// The `outcome` labels of `ratel_native_requests_total`: 200, any 4xx, 503.
const JSON_OUTCOMES: [&str; 3] = ["answered", "refused", "unavailable"];

/// The shard of the calling thread.
fn shard_index() -> usize {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static SHARD: usize = (NEXT.fetch_add(1, Relaxed) % SHARDS as u64) as usize;
    }
    SHARD.with(|shard| *shard)
}

#[derive(Debug, Default)]
pub struct Metrics {
    shards: [Shard; SHARDS],
    refusals: [AtomicU64; 7],
    pub reload_failures: AtomicU64,
    reloads: AtomicU64,
    reload_buckets: [AtomicU64; RELOAD_BUCKETS_MS.len()],
    reload_nanos_sum: AtomicU64,
    /// Reloads that read the artifact again, and the accounts again.
    reread_artifact: AtomicU64,
    reread_accounts: AtomicU64,
    /// Connections open now, by listener.
    open: [AtomicI64; 2],
    /// Connections closed for a deadline, by listener: a request not received in time, an
    /// answer that made no progress.
    read_timeouts: [AtomicU64; 2],
    write_timeouts: [AtomicU64; 2],
}

/// A request being answered, counted in `ratel_requests_in_flight` until dropped.
#[derive(Debug)]
pub struct InFlight<'m> {
    in_flight: &'m AtomicI64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Relaxed);
    }
}

/// An open connection, counted in `ratel_open_connections` until dropped.
#[derive(Debug)]
pub struct OpenConnection<'m> {
    open: &'m AtomicI64,
}

impl Drop for OpenConnection<'_> {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Relaxed);
    }
}

impl Shard {
    /// One answer's time, in the latency histogram and its sum.
    fn answered_in(&self, took: Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US
            .iter()
            .position(|&bound| us <= bound)
            .unwrap_or(BUCKETS_US.len());
        self.buckets[bucket].fetch_add(1, Relaxed);
        let ns = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.latency_sum_ns.fetch_add(ns, Relaxed);
    }
}

impl Metrics {
    pub fn request(&self, endpoint: Endpoint, outcome: Counted, took: Duration) {
        let index = Endpoint::ALL
            .iter()
            .position(|&e| e == endpoint)
            .unwrap_or(0);
        let shard = &self.shards[shard_index()];
        shard.requests[index][usize::from(outcome == Counted::Refused)].fetch_add(1, Relaxed);
        shard.answered_in(took);
    }

    /// A JSON API request that named an endpoint, with the status it was answered.
    pub fn json_request(
        &self,
        endpoint: json_api::Endpoint,
        status: json_api::JsonStatus,
        took: Duration,
    ) {
        let index = json_api::Endpoint::ALL
            .iter()
            .position(|&e| e == endpoint)
            .unwrap_or(0);
        let outcome = match status {
            json_api::JsonStatus::Ok => 0,
            json_api::JsonStatus::Unavailable => 2,
            _ => 1,
        };
        let shard = &self.shards[shard_index()];
        shard.json[index][outcome].fetch_add(1, Relaxed);
        shard.answered_in(took);
    }

    /// A successful reload: how long it took and what it read again.
    pub fn reloaded(&self, took: Duration, reread: Reread) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.reloads.fetch_add(1, Relaxed);
        self.reload_nanos_sum.fetch_add(nanos, Relaxed);
        if let Some(bucket) = RELOAD_BUCKETS_MS
            .iter()
            .position(|&bound| nanos <= bound * 1_000_000)
        {
            self.reload_buckets[bucket].fetch_add(1, Relaxed);
        }
        self.reread_artifact
            .fetch_add(u64::from(reread.artifact), Relaxed);
        self.reread_accounts
            .fetch_add(u64::from(reread.accounts), Relaxed);
    }

    /// A connection accepted on `listener`; it counts as open until the guard is dropped.
    pub fn opened(&self, listener: Listener) -> OpenConnection<'_> {
        let open = &self.open[listener.index()];
        open.fetch_add(1, Relaxed);
        OpenConnection { open }
    }

    /// A request received whole; it counts as in flight until the guard is dropped (its
    /// answer written, or the connection lost). A stop waits for these.
    pub fn answering(&self) -> InFlight<'_> {
        let in_flight = &self.shards[shard_index()].in_flight;
        in_flight.fetch_add(1, Relaxed);
        InFlight { in_flight }
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> i64 {
        self.shards.iter().map(|s| s.in_flight.load(Relaxed)).sum()
    }

    /// A per-request counter summed over the shards.
    fn summed(&self, counter: impl Fn(&Shard) -> &AtomicU64) -> u64 {
        self.shards.iter().map(|s| counter(s).load(Relaxed)).sum()
    }

    /// A connection closed because a wait for input ended: `timed_out` when its deadline
    /// passed (the other endings, the client closing, are not counted).
    pub fn read_ended(&self, listener: Listener, timed_out: bool) {
        if timed_out {
            self.read_timeouts[listener.index()].fetch_add(1, Relaxed);
        }
    }

    /// A connection closed because writing its answer failed; counted when the answer made
    /// no progress for the write timeout.
    pub fn write_failed(&self, listener: Listener, error: &std::io::Error) {
        if error.kind() == std::io::ErrorKind::TimedOut {
            self.write_timeouts[listener.index()].fetch_add(1, Relaxed);
        }
    }

    pub fn refusal(&self, status: HttpStatus) {
        if let Some(index) = REFUSALS.iter().position(|&s| s == status) {
            self.refusals[index].fetch_add(1, Relaxed);
        }
    }

    /// The Prometheus text exposition of every counter and of `snapshot`.
    /// `access_log_dropped`: lines the access log dropped (it keeps its own count).
    pub fn render(&self, snapshot: &Snapshot, access_log_dropped: u64, out: &mut String) {
        describe(
            out,
            "ratel_requests_total",
            "counter",
            "API requests by endpoint and outcome (answered, or refused with an API error).",
        );
        for (index, endpoint) in Endpoint::ALL.iter().enumerate() {
            for (refused, outcome) in ["answered", "refused"].iter().enumerate() {
                let _ = writeln!(
                    out,
                    "ratel_requests_total{{endpoint=\"{}\",outcome=\"{outcome}\"}} {}",
                    endpoint.name(),
                    self.summed(|s| &s.requests[index][refused])
                );
            }
        }
        describe(
            out,
            "ratel_http_refusals_total",
            "counter",
            "Requests refused at the HTTP level, by status.",
        );
        for (status, count) in REFUSALS.iter().zip(&self.refusals) {
            let _ = writeln!(
                out,
                "ratel_http_refusals_total{{status=\"{}\"}} {}",
                &status.line()[..3],
                count.load(Relaxed)
            );
        }
        // Each shard's counts read once: the cumulative buckets never decrease.
        let counts: Vec<u64> = (0..=BUCKETS_US.len())
            .map(|index| self.summed(|s| &s.buckets[index]))
            .collect();
        write_histogram(
            out,
            "ratel_request_duration_seconds",
            "Time to answer an API request, from the parsed request to the answer built (before it is written).",
            BUCKETS_US.iter().map(|bound| *bound as f64 / 1e6).zip(counts.iter().copied()),
            counts.iter().sum(),
            self.summed(|s| &s.latency_sum_ns) as f64 / 1e9,
        );
        describe(
            out,
            "ratel_native_requests_total",
            "counter",
            "JSON API requests (/v1/) by endpoint and outcome (answered 200, refused 4xx, unavailable 503: the ledger could not write).",
        );
        for (index, endpoint) in json_api::Endpoint::ALL.iter().enumerate() {
            for (outcome, label) in JSON_OUTCOMES.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "ratel_native_requests_total{{endpoint=\"{}\",outcome=\"{label}\"}} {}",
                    endpoint.name(),
                    self.summed(|s| &s.json[index][outcome])
                );
            }
        }
        describe(
            out,
            "ratel_open_connections",
            "gauge",
            "Connections open now, by listener.",
        );
        for listener in Listener::ALL {
            let _ = writeln!(
                out,
                "ratel_open_connections{{listener=\"{}\"}} {}",
                listener.name(),
                self.open[listener.index()].load(Relaxed)
            );
        }
        describe(
            out,
            "ratel_requests_in_flight",
            "gauge",
            "Requests received whole and not yet answered, on both listeners (this one included).",
        );
        let _ = writeln!(out, "ratel_requests_in_flight {}", self.in_flight());
        describe(
            out,
            "ratel_connection_timeouts_total",
            "counter",
            "Connections closed for a deadline: a request not complete 10 s after the previous answer (read), or an answer without progress for 10 s (write).",
        );
        for listener in Listener::ALL {
            for (kind, counts) in [
                ("read", &self.read_timeouts),
                ("write", &self.write_timeouts),
            ] {
                let _ = writeln!(
                    out,
                    "ratel_connection_timeouts_total{{listener=\"{}\",kind=\"{kind}\"}} {}",
                    listener.name(),
                    counts[listener.index()].load(Relaxed)
                );
            }
        }
        write_histogram(
            out,
            "ratel_reload_duration_seconds",
            "Time successful reloads took (SIGHUP or POST /reload), on the reload thread.",
            RELOAD_BUCKETS_MS
                .iter()
                .map(|bound| *bound as f64 / 1e3)
                .zip(self.reload_buckets.iter().map(|count| count.load(Relaxed))),
            self.reloads.load(Relaxed),
            self.reload_nanos_sum.load(Relaxed) as f64 / 1e9,
        );
        let rows: u64 = snapshot
            .data
            .artifact
            .tariffs()
            .iter()
            .map(|t| u64::from(t.rows))
            .sum();
        write_plain(
            out,
            &[
                (
                    "ratel_snapshot_generation",
                    "gauge",
                    "Generation of the data in force (1 at startup, +1 per reload).",
                    snapshot.generation as f64,
                ),
                (
                    "ratel_snapshot_load_seconds",
                    "gauge",
                    "Time the data in force took to load.",
                    snapshot.load_time.as_secs_f64(),
                ),
                (
                    "ratel_reload_failures_total",
                    "counter",
                    "Reloads refused (the old data stayed in force).",
                    self.reload_failures.load(Relaxed) as f64,
                ),
                (
                    "ratel_reloads_total",
                    "counter",
                    "Successful reloads (SIGHUP or POST /reload).",
                    self.reloads.load(Relaxed) as f64,
                ),
                (
                    "ratel_reload_artifact_reads_total",
                    "counter",
                    "Reloads that read the tariff artifact again (the others shared it).",
                    self.reread_artifact.load(Relaxed) as f64,
                ),
                (
                    "ratel_reload_accounts_reads_total",
                    "counter",
                    "Reloads that read the account files again (the others shared them).",
                    self.reread_accounts.load(Relaxed) as f64,
                ),
                (
                    "ratel_access_log_dropped_total",
                    "counter",
                    "Access log lines dropped because writing them fell 8 MiB behind.",
                    access_log_dropped as f64,
                ),
                (
                    "ratel_tariffs",
                    "gauge",
                    "Tariffs in the artifact.",
                    snapshot.data.artifact.tariffs().len() as f64,
                ),
                (
                    "ratel_tariff_rows",
                    "gauge",
                    "Tariff rows in the artifact, every dated version included.",
                    rows as f64,
                ),
                (
                    "ratel_users",
                    "gauge",
                    "Users loaded.",
                    snapshot.data.accounts.users().len() as f64,
                ),
                (
                    "ratel_cards",
                    "gauge",
                    "Calling cards loaded.",
                    snapshot.data.accounts.cards().len() as f64,
                ),
            ],
        );
    }
}

/// The request bodies being read, by API: what they hold of their budget, and the refusals.
pub fn render_bodies(bodies: &crate::body_budget::BodyBudgets, out: &mut String) {
    type Read = fn(&crate::body_budget::BodyBudget) -> f64;
    let metrics: [(&str, &str, &str, Read); 3] = [
        (
            "ratel_request_body_bytes",
            "gauge",
            "Bytes reserved now for request bodies being read (announced lengths), by API.",
            |budget| budget.held() as f64,
        ),
        (
            "ratel_request_body_budget_bytes",
            "gauge",
            "What the request bodies being read may take together, by API.",
            |budget| budget.limit() as f64,
        ),
        (
            "ratel_request_body_refusals_total",
            "counter",
            "Requests answered 503 because their body would have passed their API's budget.",
            |budget| budget.refused() as f64,
        ),
    ];
    for (name, kind, help, read) in metrics {
        describe(out, name, kind, help);
        for (api, budget) in [("json", &bodies.json), ("mor", &bodies.mor)] {
            let _ = writeln!(out, "{name}{{api=\"{api}\"}} {}", read(budget));
        }
    }
}

/// The ledger's part of `/metrics`: what the committer has done, and the accounts it holds.
pub fn render_ledger(ledger: &ratel_engine::ledger::Ledger, out: &mut String) {
    let stats = ledger.stats();
    let metrics = [
        (
            "ratel_ledger_commits_total",
            "counter",
            "Ledger transactions committed (one sync each; many requests share one).",
            stats.commits.load(Relaxed) as f64,
        ),
        (
            "ratel_ledger_entries_total",
            "counter",
            "Ledger entries written (openings, adjustments, card payments, calls).",
            stats.entries.load(Relaxed) as f64,
        ),
        (
            "ratel_ledger_commit_failures_total",
            "counter",
            "Ledger commits that failed: nothing of them was applied, their requests got an error.",
            stats.failures.load(Relaxed) as f64,
        ),
        (
            "ratel_ledger_conflicts_total",
            "counter",
            "Batches worked out again because another server changed an account they touch (PostgreSQL ledger).",
            stats.conflicts.load(Relaxed) as f64,
        ),
        (
            "ratel_ledger_committer_wakeups_total",
            "counter",
            "Times a request woke the ledger's committer thread (it was waiting for work); under load far fewer than the changes.",
            ledger.committer_wakeups() as f64,
        ),
        (
            "ratel_ledger_unreachable",
            "gauge",
            "1 while the ledger's database cannot be reached (PostgreSQL ledger), else 0.",
            f64::from(u8::from(stats.unreachable().is_some())),
        ),
        (
            "ratel_ledger_commit_seconds_total",
            "counter",
            "Time spent writing and syncing ledger commits.",
            stats.commit_micros.load(Relaxed) as f64 / 1e6,
        ),
        (
            "ratel_ledger_accounts",
            "gauge",
            "Accounts the ledger holds a balance for.",
            ledger.accounts() as f64,
        ),
        (
            "ratel_ledger_wal_bytes",
            "gauge",
            "Size of the ledger's write-ahead log (kept near 64 MiB; past 256 MiB a reader blocks its checkpoints, and the log says so).",
            stats.wal_bytes.load(Relaxed) as f64,
        ),
        (
            "ratel_ledger_unusable",
            "gauge",
            "1 when the ledger file or its log was removed or replaced under the server: every change is refused until a restart.",
            f64::from(u8::from(stats.unusable().is_some())),
        ),
        (
            "ratel_sessions_open",
            "gauge",
            "Sessions open: calls in progress holding money.",
            stats.sessions_open.load(Relaxed) as f64,
        ),
        (
            "ratel_sessions_started_total",
            "counter",
            "Sessions granted and opened.",
            stats.sessions_started.load(Relaxed) as f64,
        ),
        (
            "ratel_sessions_refused_total",
            "counter",
            "Session starts and updates refused for money (insufficient, or held by calls in progress).",
            stats.sessions_refused.load(Relaxed) as f64,
        ),
        (
            "ratel_sessions_expired_total",
            "counter",
            "Sessions closed by the server, their grant run out grace_s ago, and charged every second granted.",
            stats.sessions_expired.load(Relaxed) as f64,
        ),
    ];
    write_plain(out, &metrics);
}

/// The `# HELP` and `# TYPE` lines of the metric `name`.
fn describe(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Metrics without labels, as `(name, kind, help, value)`: each described, then its value.
fn write_plain(out: &mut String, metrics: &[(&str, &str, &str, f64)]) {
    for (name, kind, help, value) in metrics {
        describe(out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }
}

/// A histogram `name`: described, a cumulative `_bucket` line per `(upper bound in
/// seconds, count in that bucket)`, then `+Inf` with `count` and the `_sum` and `_count`
/// lines.
fn write_histogram(
    out: &mut String,
    name: &str,
    help: &str,
    buckets: impl Iterator<Item = (f64, u64)>,
    count: u64,
    sum: f64,
) {
    describe(out, name, "histogram", help);
    let mut cumulative = 0;
    for (bound, in_bucket) in buckets {
        cumulative += in_bucket;
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{le=\"+Inf\"}} {count}\n{name}_sum {sum}\n{name}_count {count}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratel_engine::snapshot::SnapshotStore;

    fn value(text: &str, name: &str) -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or_else(|| panic!("{name} not in\n{text}"))
    }

    #[test]
    fn counts_from_many_threads_sum_over_the_shards() {
        let metrics = Metrics::default();
        let store = SnapshotStore::new(ratel_engine::testing::demo_data().clone(), Duration::ZERO);
        // More threads than shards, so that shards are shared too.
        std::thread::scope(|scope| {
            for thread in 0..SHARDS + 3 {
                let metrics = &metrics;
                scope.spawn(move || {
                    for i in 0..1000u64 {
                        let _in_flight = metrics.answering();
                        let outcome = if i % 4 == 0 {
                            Counted::Refused
                        } else {
                            Counted::Answered
                        };
                        let took =
                            Duration::from_micros(if thread % 2 == 0 { 10 } else { 200_000 });
                        metrics.request(Endpoint::ALL[1], outcome, took);
                    }
                });
            }
        });
        let mut text = String::new();
        metrics.render(&store.load(), 0, &mut text);
        let threads = (SHARDS + 3) as f64;
        let name = Endpoint::ALL[1].name();
        let answered = format!("ratel_requests_total{{endpoint=\"{name}\",outcome=\"answered\"}}");
        let refused = format!("ratel_requests_total{{endpoint=\"{name}\",outcome=\"refused\"}}");
        assert_eq!(value(&text, &answered), threads * 750.0);
        assert_eq!(value(&text, &refused), threads * 250.0);
        assert_eq!(
            value(&text, "ratel_request_duration_seconds_count"),
            threads * 1000.0
        );
        // Even threads answered in 10 us (first bucket), odd ones past the last bound.
        let fast = (SHARDS + 3).div_ceil(2) as f64 * 1000.0;
        assert_eq!(
            value(
                &text,
                "ratel_request_duration_seconds_bucket{le=\"0.000025\"}"
            ),
            fast
        );
        assert_eq!(
            value(&text, "ratel_request_duration_seconds_bucket{le=\"0.1\"}"),
            fast
        );
        assert_eq!(
            value(&text, "ratel_request_duration_seconds_bucket{le=\"+Inf\"}"),
            threads * 1000.0
        );
        assert_eq!(value(&text, "ratel_requests_in_flight"), 0.0);
        assert_eq!(metrics.in_flight(), 0);
    }

    /// Answers of under a microsecond (most of them) still add to the sum: it is kept in
    /// nanoseconds, not whole microseconds.
    #[test]
    fn answers_under_a_microsecond_count_in_the_latency_sum() {
        let metrics = Metrics::default();
        let store = SnapshotStore::new(ratel_engine::testing::demo_data().clone(), Duration::ZERO);
        for _ in 0..1000 {
            metrics.request(
                Endpoint::ALL[0],
                Counted::Answered,
                Duration::from_nanos(850),
            );
        }
        metrics.json_request(
            json_api::Endpoint::ALL[0],
            json_api::JsonStatus::Ok,
            Duration::from_nanos(150_000),
        );
        let mut text = String::new();
        metrics.render(&store.load(), 0, &mut text);
        let sum = value(&text, "ratel_request_duration_seconds_sum");
        assert!((sum - 0.001).abs() < 1e-9, "{sum}");
        assert_eq!(value(&text, "ratel_request_duration_seconds_count"), 1001.0);
    }
}
