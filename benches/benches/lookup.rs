//! Longest-prefix match on a 1M-row generated deck: the fst walk (with and without the dense
//! first-digits table) against an `FxHashMap` probed longest-first, one number per iteration,
//! cycling through 200k shuffled numbers. Memory of both sides is printed before the run.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ratel_benches::{mapped_deck, numbers, HashBaseline, PackedNumbers};
use ratel_engine::time::Timestamp;

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
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
