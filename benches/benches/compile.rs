//! Compiling a 1M-row generated tariff CSV (read, validate, sort, index, lay out; the file
//! write is left to the tool), reported as rows per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ratel_benches::data_dir;
use ratel_engine::compile::{compile, TariffSource};
use ratel_tools::ratel_gen;

fn compile_deck(c: &mut Criterion) {
    const ROWS: usize = 1_000_000;
    let path = data_dir().join(format!("deck-{ROWS}.csv"));
    let file = std::fs::File::create(&path).expect("bench data is writable");
    ratel_gen::write_deck(&ratel_gen::deck(ROWS, 1), std::io::BufWriter::new(file))
        .expect("deck is written");
    let sources = [TariffSource {
        name: "deck".into(),
        currency: "USD".into(),
        path,
    }];
    let mut group = c.benchmark_group("compile");
    group.sample_size(10);
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("csv_1m_rows", |b| {
        b.iter(|| {
            compile(&sources, |_| {})
                .expect("generated decks compile")
                .stats
                .bytes
        })
    });
    group.finish();
}

criterion_group!(benches, compile_deck);
criterion_main!(benches);
