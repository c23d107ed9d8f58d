//! The money formatters on the API's hot path: Ruby-style floats for rates and card balances,
//! fixed places for balances, and an exact currency conversion then fixed places.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use ratel_engine::money::{write_fixed, write_ruby_float, write_scaled, Decimal};

fn format(c: &mut Criterion) {
    let mut group = c.benchmark_group("format");
    let mut out = Vec::with_capacity(64);
    for (name, value) in [
        ("rate_0.987", 0.987),
        ("card_10.0840336134454", 10.0840336134454),
        ("tiny_1e-05", 0.00001),
    ] {
        group.bench_function(format!("ruby_float/{name}"), |b| {
            b.iter(|| {
                out.clear();
                write_ruby_float(&mut out, black_box(value));
                out.len()
            })
        });
    }
    let balance = Decimal::parse("-349282.175", true).expect("valid decimal");
    group.bench_function("fixed_4_places", |b| {
        b.iter(|| {
            out.clear();
            write_fixed(&mut out, black_box(balance), 4);
            out.len()
        })
    });
    let rate = Decimal::parse("0.79", false).expect("valid decimal");
    group.bench_function("convert_and_fixed_4_places", |b| {
        b.iter(|| {
            out.clear();
            write_scaled(
                &mut out,
                black_box(balance).mul_rounded(black_box(rate), 4),
                4,
            );
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, format);
criterion_main!(benches);
