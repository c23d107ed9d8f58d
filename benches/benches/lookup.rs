//! Longest-prefix match on a 1M-row generated deck: the fst walk (with and without the dense
//! first-digits table) against an `FxHashMap` probed longest-first, one number per iteration,
//! cycling through 200k shuffled numbers; then the walk followed by reading the rate record
//! (what `rate_get` does), on that deck and on a 316,867-row NPA-NXX deck (a rate nearly per
//! prefix). Memory of both sides and the artifacts' sizes are printed before the run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ratel_benches::{build_artifact, data_dir, mapped_deck, numbers, HashBaseline, PackedNumbers};
use ratel_engine::artifact::{write_atomic, Artifact};
use ratel_engine::time::Timestamp;
use ratel_tools::ratel_gen;

/// Rows of the real NPA-NXX deck the `npanxx` shape imitates.
const NPANXX_ROWS: usize = 316_867;

/// Longest match, then the record's rate as `rate_get` prints it.
fn rate_of(artifact: &Artifact, tariff: usize, digits: &[u8], at: Timestamp) -> Option<f64> {
    let found = artifact.longest_match(tariff, digits, at)?;
    artifact
        .record(found.record)
        .map(|record| record.rate_f64())
}

fn lookup(c: &mut Criterion) {
    let (deck, artifact) = mapped_deck(1_000_000, 1);
    let numbers = numbers(&deck, 200_000, 2);
    let baseline = HashBaseline::new(&deck);
    let tariff = artifact.tariff_id("deck").expect("the bench tariff exists");
    let at = Timestamp::parse("2026-06-01").expect("valid date");
    let digits = PackedNumbers::new(&numbers);

    let fst_side = artifact.len_bytes() + artifact.dense_table_bytes();
    eprintln!(
        "memory: artifact {} bytes (fst {} bytes) + dense tables {} bytes = {} bytes; \
         FxHashMap baseline {} bytes; ratio {:.1}x",
        artifact.len_bytes(),
        artifact.fst_bytes(),
        artifact.dense_table_bytes(),
        fst_side,
        baseline.heap_bytes(),
        baseline.heap_bytes() as f64 / fst_side as f64
    );
    // Both sides must agree on the prefix length wherever no dated row is involved.
    let agree = (0..digits.len())
        .map(|i| digits.get(i))
        .filter(|d| {
            artifact
                .longest_match(tariff, d, Timestamp(i64::MIN + 1))
                .map(|m| usize::from(m.prefix_len))
                == baseline.longest_match(d).map(|m| m.0)
        })
        .count();
    assert_eq!(agree, digits.len(), "fst and hash baseline disagree");

    let mut group = c.benchmark_group("lookup_1m");
    let mut i = 0;
    group.bench_function("fst_walk", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(artifact.longest_match(tariff, black_box(digits.get(i)), at))
        })
    });
    group.bench_function("fst_walk_without_dense_table", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(artifact.longest_match_from_root(tariff, black_box(digits.get(i)), at))
        })
    });
    group.bench_function("fxhashmap_longest_first", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(baseline.longest_match(black_box(digits.get(i))))
        })
    });
    group.bench_function("fst_walk_and_record", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(rate_of(&artifact, tariff, black_box(digits.get(i)), at))
        })
    });
    group.finish();

    let deck = ratel_gen::npanxx_deck(NPANXX_ROWS, 1);
    let path = data_dir().join(format!("npanxx-{NPANXX_ROWS}-1.ratel"));
    write_atomic(&path, &build_artifact(&deck)).expect("bench artifact is written");
    let artifact = Artifact::open(&path).expect("bench artifact maps");
    let mut csv = Vec::new();
    ratel_gen::write_deck(&deck, &mut csv).expect("writing to memory cannot fail");
    eprintln!(
        "npanxx: {} rows, CSV {} bytes, artifact {} bytes ({:.1}% of the CSV, {:.1} bytes a row)",
        deck.len(),
        csv.len(),
        artifact.len_bytes(),
        artifact.len_bytes() as f64 * 100.0 / csv.len() as f64,
        artifact.len_bytes() as f64 / deck.len() as f64
    );
    let digits = PackedNumbers::new(&ratel_benches::numbers(&deck, 200_000, 2));
    let tariff = artifact.tariff_id("deck").expect("the bench tariff exists");
    let mut group = c.benchmark_group("lookup_npanxx");
    group.bench_function("fst_walk", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(artifact.longest_match(tariff, black_box(digits.get(i)), at))
        })
    });
    group.bench_function("fst_walk_and_record", |b| {
        b.iter(|| {
            i = (i + 1) % digits.len();
            black_box(rate_of(&artifact, tariff, black_box(digits.get(i)), at))
        })
    });
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
