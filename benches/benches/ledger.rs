//! The ledger's committer without HTTP: batches of 1, 100 and 1,000 charged calls committed to
//! a real SQLite ledger (WAL, synchronous FULL: one fsync per commit), one batch per iteration.
//! Calls per second = batch size / time per iteration. This is the floor the `/v1/calls`
//! figures of `benches/ledger/run.sh` stand on: one request's batch, one commit.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ratel_engine::accounts::{Account, BalanceCell};
use ratel_engine::ledger::{Applied, CallDetail, Change, Commit, Kind, Ledger, Submission};
use ratel_engine::money::Decimal;
use ratel_engine::time::Timestamp;

fn ledger(c: &mut Criterion) {
    let dir = ratel_benches::data_dir().join("ledger-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the bench folder is created");
    let mut accounts = ratel_engine::testing::demo_accounts();
    let ledger = Ledger::open(&dir.join("ledger.sqlite"), "USD").expect("the ledger opens");
    ledger.attach(&mut accounts).expect("the accounts attach");
    let users: Vec<(Account, Arc<BalanceCell>)> = accounts
        .users()
        .iter()
        .map(|u| (Account::User(u.id), Arc::clone(u.live())))
        .collect();
    let next_id = AtomicU64::new(0);
    let cost = Decimal::parse("-0.541667", true).expect("a decimal");
    let start = Timestamp::parse("2026-11-26 10:00:00").expect("a time");
    let batch = |size: usize| -> Vec<Submission> {
        (0..size)
            .map(|i| {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let (account, cell) = &users[i % users.len()];
                Submission::Change(Change {
                    account: *account,
                    cell: Arc::clone(cell),
                    amount: cost,
                    kind: Kind::Call,
                    reference: format!("bench-{id}"),
                    description: String::new(),
                    call: Some(CallDetail {
                        number: "37061234567".into(),
                        start,
                        billsec: 65,
                        rated_s: 65,
                        prefix: "370".into(),
                    }),
                })
            })
            .collect()
    };
    let mut group = c.benchmark_group("ledger_commit");
    for size in [1usize, 100, 1_000] {
        group.throughput(Throughput::Elements(size as u64));
        group.bench_with_input(BenchmarkId::new("calls", size), &size, |b, &size| {
            b.iter_batched(
                || batch(size),
                |submissions| {
                    let outcomes = ledger.commit(submissions);
                    assert!(matches!(outcomes[0], Applied::Done(_)));
                    black_box(outcomes)
                },
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
    let bytes = std::fs::metadata(dir.join("ledger.sqlite")).map_or(0, |m| m.len())
        + std::fs::metadata(dir.join("ledger.sqlite-wal")).map_or(0, |m| m.len());
    let entries = next_id.load(Ordering::Relaxed);
    eprintln!(
        "ledger file: {bytes} bytes for {entries} call entries (+{} openings): {:.0} bytes per entry",
        users.len(),
        bytes as f64 / entries.max(1) as f64
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = ledger
}
criterion_main!(benches);
