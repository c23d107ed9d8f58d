//! Data shared by the benchmarks: a generated deck compiled into a mapped artifact under
//! `target/bench-data/`, its numbers, and the hash-map baseline lookups are measured against.

use std::path::PathBuf;

use ratel_engine::artifact::{write_atomic, Artifact, ArtifactBuilder};
use ratel_engine::input::ErrorList;
use ratel_engine::money::Decimal;
use ratel_engine::tariff::TariffRow;
use ratel_engine::time::Timestamp;
use ratel_tools::ratel_gen::{self, GenRow};
use rustc_hash::FxHashMap;

/// Where generated benchmark data lives (never committed).
pub fn data_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    std::fs::create_dir_all(&dir).expect("target/bench-data is writable");
    dir
}

/// Builds artifact bytes from generated rows (one tariff named `deck`).
pub fn build_artifact(rows: &[GenRow]) -> Vec<u8> {
    let mut builder = ArtifactBuilder::new();
    let tariff = builder
        .add_tariff("deck", "USD", "generated", 1)
        .expect("one tariff");
    builder.reserve(rows.len());
    for (line, row) in rows.iter().enumerate() {
        let effective_from = row
            .effective_from
            .as_deref()
            .map(|d| Timestamp::parse(d).expect("generated dates are valid"));
        builder.add_row(
            tariff,
            &TariffRow {
                line: line as u64 + 2,
                prefix: row.prefix.as_bytes(),
                rate: Decimal::new(row.rate_units.into(), row.rate_scale),
                connection_fee: Decimal::new(row.connection_fee_units.into(), 4),
                increment_s: row.increment_s,
                min_time_s: row.min_time_s,
                first_interval_s: 0,
                destination: &row.destination,
                effective_from,
            },
        );
    }
    builder
        .build(&mut ErrorList::new())
        .expect("generated decks have no duplicates")
        .0
}

/// A generated deck of `rows` rows, compiled, written and mapped from disk like production.
pub fn mapped_deck(rows: usize, seed: u64) -> (Vec<GenRow>, Artifact) {
    let deck = ratel_gen::deck(rows, seed);
    let path = data_dir().join(format!("deck-{rows}-{seed}.ratel"));
    write_atomic(&path, &build_artifact(&deck)).expect("bench artifact is written");
    let artifact = Artifact::open(&path).expect("bench artifact maps");
    (deck, artifact)
}

/// `count` dialed numbers for `deck` (~90% match), as digit strings, in generated (random) order.
pub fn numbers(deck: &[GenRow], count: usize, seed: u64) -> Vec<Vec<u8>> {
    let mut text = Vec::new();
    ratel_gen::write_numbers(deck, count, seed, &mut text).expect("writing to memory cannot fail");
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Numbers stored back to back in 24-byte slots (20 digits, then the length), so a benchmark
/// reads its input the way a server reads a request buffer: from cache, not from scattered
/// heap allocations whose misses would swamp the work measured.
#[derive(Debug)]
pub struct PackedNumbers {
    slots: Vec<[u8; 24]>,
}

impl PackedNumbers {
    pub fn new(numbers: &[Vec<u8>]) -> PackedNumbers {
        let mut buffer = [0u8; 20];
        let slots = numbers
            .iter()
            .map(|n| {
                let digits = ratel_engine::lookup::dialed_digits(n, &mut buffer);
                let mut slot = [0u8; 24];
                slot[..digits.len()].copy_from_slice(digits);
                slot[23] = digits.len() as u8;
                slot
            })
            .collect();
        PackedNumbers { slots }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The digits of number `index`.
    #[inline]
    pub fn get(&self, index: usize) -> &[u8] {
        let slot = &self.slots[index];
        &slot[..usize::from(slot[23])]
    }
}

/// The baseline a carrier might write first: every undated prefix in an
/// `FxHashMap<u64, u32>` (key: the prefix's value × 32 + its length, value: a record id),
/// probed from the longest possible length down.
#[derive(Debug)]
pub struct HashBaseline {
    map: FxHashMap<u64, u32>,
    max_len: usize,
}

impl HashBaseline {
    pub fn new(deck: &[GenRow]) -> HashBaseline {
        let mut map = FxHashMap::default();
        let mut max_len = 0;
        for (index, row) in deck.iter().enumerate() {
            if row.effective_from.is_none() && row.prefix.len() <= 17 {
                max_len = max_len.max(row.prefix.len());
                map.insert(Self::key(row.prefix.as_bytes()), index as u32);
            }
        }
        HashBaseline { map, max_len }
    }

    fn key(prefix: &[u8]) -> u64 {
        let value = prefix
            .iter()
            .fold(0u64, |v, &d| v * 10 + u64::from(d - b'0'));
        value << 5 | prefix.len() as u64
    }

    /// Longest matching prefix length and its record id.
    #[inline]
    pub fn longest_match(&self, digits: &[u8]) -> Option<(usize, u32)> {
        let n = digits.len().min(self.max_len);
        let mut values = [0u64; 18];
        let mut value = 0u64;
        for (i, &d) in digits[..n].iter().enumerate() {
            value = value * 10 + u64::from(d - b'0');
            values[i + 1] = value;
        }
        (1..=n).rev().find_map(|len| {
            self.map
                .get(&(values[len] << 5 | len as u64))
                .map(|&r| (len, r))
        })
    }

    /// Heap bytes of the map, from hashbrown's layout: a power-of-two bucket count at most
    /// 7/8 full, each bucket one `(u64, u32)` (16 bytes) plus one control byte, plus a group.
    pub fn heap_bytes(&self) -> usize {
        let buckets = (self.map.capacity() * 8 / 7).next_power_of_two();
        buckets * (std::mem::size_of::<(u64, u32)>() + 1) + 16
    }
}
