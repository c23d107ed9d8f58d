//! Building an artifact from validated tariff rows, and writing it atomically.
//!
//! Rows are kept as 48-byte entries whose sort key packs the tariff id and the prefix digits
//! into one `u128` that orders exactly as the fst keys do, so a deck of ten million rows sorts
//! as integers. Columns are dictionary-coded: each distinct rate, destination and set of
//! billing terms (fee, increment, minimum, first interval) is stored once, and a row's record is the triple
//! of their indices, itself de-duplicated and bit-packed. Records are numbered in key order,
//! so neighbouring prefixes carry close numbers and the fst stores small output deltas.

use std::collections::hash_map::Entry;
use std::hash::Hash;
use std::io::Write;
use std::path::Path;

use rustc_hash::FxHashMap;

use super::layout::{self, header, preamble};
use super::{
    checksum, RecordIndices, RecordLayout, Section, Target, FORMAT_VERSION, MAGIC, SECTION_COUNT,
};
use crate::input::ErrorList;
use crate::money::Decimal;
use crate::tariff::TariffRow;

/// Index of a tariff inside one artifact (the first two bytes of its fst keys).
pub type TariffId = u16;

/// Effective-from of an undated row: it sorts before every date, so "the newest version not
/// after T" finds it exactly when no dated row applies.
pub(crate) const UNDATED: i64 = i64::MIN;

#[derive(Debug)]
struct TariffMeta {
    name: String,
    currency: String,
    file: String,
    prefix_column: u64,
    rows: u32,
    prefixes: u32,
}

/// A record's billing terms: connection fee, increment, minimum time, first interval.
type Terms = (Decimal, u32, u32, u32);

/// Distinct values in first-seen order, each with its index.
#[derive(Debug)]
struct Dictionary<T> {
    values: Vec<T>,
    ids: FxHashMap<T, u32>,
}

impl<T> Default for Dictionary<T> {
    fn default() -> Self {
        Dictionary {
            values: Vec::new(),
            ids: FxHashMap::default(),
        }
    }
}

impl<T: Clone + Eq + Hash> Dictionary<T> {
    fn id(&mut self, value: T) -> u32 {
        match self.ids.entry(value) {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let id = self.values.len() as u32;
                self.values.push(slot.key().clone());
                *slot.insert(id)
            }
        }
    }
}

/// One row waiting to be sorted: 48 bytes whatever the deck.
#[derive(Debug, Clone, Copy)]
struct PendingRow {
    key: u128,
    effective_from: i64,
    line: u64,
    record: u32,
}

/// Figures about a built artifact, for the compile summary.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildStats {
    pub tariffs: usize,
    pub rows: u64,
    pub prefixes: u64,
    pub records: u64,
    pub bytes: u64,
    /// Time spent sorting rows, and building the index and laying out the file.
    pub sort_time: std::time::Duration,
    pub index_time: std::time::Duration,
}

/// Collects tariffs and rows, then lays out the artifact's bytes.
#[derive(Debug, Default)]
pub struct ArtifactBuilder {
    tariffs: Vec<TariffMeta>,
    rows: Vec<PendingRow>,
    rates: Dictionary<Decimal>,
    terms: Dictionary<Terms>,
    destinations: Dictionary<Box<str>>,
    records: Dictionary<RecordIndices>,
}

/// Digits of a prefix, 4 bits each (digit + 1, so that a shorter prefix sorts before its
/// extensions), under the tariff id in bits 80..96.
fn encode_key(tariff: TariffId, prefix: &[u8]) -> u128 {
    let mut key = u128::from(tariff) << 80;
    for (i, digit) in prefix.iter().enumerate() {
        key |= u128::from(digit - b'0' + 1) << (76 - 4 * i);
    }
    key
}

/// The fst key bytes of an encoded key: tariff id big-endian, then the ASCII digits.
fn decode_key(key: u128, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&((key >> 80) as u16).to_be_bytes());
    for i in 0..20 {
        let code = (key >> (76 - 4 * i)) as u8 & 0xf;
        if code == 0 {
            break;
        }
        out.push(b'0' + code - 1);
    }
}

/// Record numbers in the order keys first use them (the fst's order), assigned on demand.
struct Renumbering {
    new_ids: Vec<u32>,
    next: u32,
}

impl Renumbering {
    fn new(records: usize) -> Renumbering {
        Renumbering {
            new_ids: vec![u32::MAX; records],
            next: 0,
        }
    }

    fn id(&mut self, record: u32) -> u32 {
        let slot = &mut self.new_ids[record as usize];
        if *slot == u32::MAX {
            *slot = self.next;
            self.next += 1;
        }
        *slot
    }
}

impl ArtifactBuilder {
    /// An empty builder.
    pub fn new() -> ArtifactBuilder {
        ArtifactBuilder::default()
    }

    /// Declares a tariff read from `file`, whose `prefix` column is number `prefix_column`
    /// (used to place duplicate-prefix errors). `None` past 65,536 tariffs.
    pub fn add_tariff(
        &mut self,
        name: &str,
        currency: &str,
        file: &str,
        prefix_column: u64,
    ) -> Option<TariffId> {
        let id = TariffId::try_from(self.tariffs.len()).ok()?;
        self.tariffs.push(TariffMeta {
            name: name.to_owned(),
            currency: currency.to_owned(),
            file: file.to_owned(),
            prefix_column,
            rows: 0,
            prefixes: 0,
        });
        Some(id)
    }

    /// Sets where a tariff's duplicate-prefix errors point, once its header has been read.
    pub fn set_prefix_column(&mut self, tariff: TariffId, prefix_column: u64) {
        if let Some(meta) = self.tariffs.get_mut(usize::from(tariff)) {
            meta.prefix_column = prefix_column;
        }
    }

    /// Adds one validated row to `tariff`.
    pub fn add_row(&mut self, tariff: TariffId, row: &TariffRow<'_>) {
        let destination = match self.destinations.ids.get(row.destination) {
            Some(&id) => id,
            None => self.destinations.id(row.destination.into()),
        };
        let indices = RecordIndices {
            rate: self.rates.id(row.rate),
            destination,
            terms: self.terms.id((
                row.connection_fee,
                row.increment_s,
                row.min_time_s,
                row.first_interval_s,
            )),
        };
        let record = self.records.id(indices);
        if let Some(meta) = self.tariffs.get_mut(usize::from(tariff)) {
            meta.rows += 1;
        }
        self.rows.push(PendingRow {
            key: encode_key(tariff, row.prefix),
            effective_from: row.effective_from.map_or(UNDATED, |t| t.0),
            line: row.line,
            record,
        });
    }

    /// Rows added so far.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Makes room for `additional` more rows (a deck's size is known from its file length).
    pub fn reserve(&mut self, additional: usize) {
        self.rows.reserve(additional);
    }

    /// Sorts, checks for duplicate prefixes (errors go to `errors`) and lays out the file.
    /// Returns `None` when `errors` holds any error, found here or before (the index is not
    /// built then, but every duplicate is still reported).
    pub fn build(mut self, errors: &mut ErrorList) -> Option<(Vec<u8>, BuildStats)> {
        let started = std::time::Instant::now();
        sort_rows(&mut self.rows);
        let sort_time = started.elapsed();

        let mut fst = fst::raw::Builder::memory();
        let mut versions: Vec<u8> = Vec::new();
        let mut renumbering = Renumbering::new(self.records.values.len());
        let mut key_bytes = Vec::with_capacity(22);
        let mut prefixes = 0u64;
        let failed_before = !errors.is_empty();
        for group in self.rows.chunk_by(|a, b| a.key == b.key) {
            if group.len() > 1 {
                self.report_duplicates(group, errors);
            }
            if failed_before || !errors.is_empty() {
                continue;
            }
            let tariff = (group[0].key >> 80) as usize;
            self.tariffs[tariff].prefixes += 1;
            prefixes += 1;
            let target = if group.len() == 1 && group[0].effective_from == UNDATED {
                Target::Record(renumbering.id(group[0].record))
            } else {
                let start = versions.len() / layout::version::LEN;
                // Newest first: a lookup takes the first entry not after its time.
                for (i, row) in group.iter().rev().enumerate() {
                    let count = if i == 0 { group.len() as u32 } else { 0 };
                    let mut entry = [0u8; layout::version::LEN];
                    put(
                        &mut entry,
                        layout::version::EFFECTIVE_FROM,
                        &row.effective_from.to_le_bytes(),
                    );
                    put(
                        &mut entry,
                        layout::version::RECORD,
                        &renumbering.id(row.record).to_le_bytes(),
                    );
                    put(&mut entry, layout::version::GROUP_LEN, &count.to_le_bytes());
                    versions.extend_from_slice(&entry);
                }
                Target::Versions(start)
            };
            decode_key(group[0].key, &mut key_bytes);
            // Keys arrive sorted and distinct (the chunks above), which is all insert needs.
            fst.insert(&key_bytes, target.value())
                .expect("fst keys are inserted in sorted, distinct order");
        }
        if !errors.is_empty() {
            return None;
        }
        let fst = fst
            .into_inner()
            .expect("an in-memory fst builder cannot fail to write");

        let record_layout = RecordLayout::for_counts(
            self.rates.values.len(),
            self.destinations.values.len(),
            self.terms.values.len(),
        );
        // Every record is used by some row, so the renumbering covers them all.
        let mut ordered = vec![
            RecordIndices {
                rate: 0,
                destination: 0,
                terms: 0
            };
            self.records.values.len()
        ];
        for (old, &new) in renumbering.new_ids.iter().enumerate() {
            if let Some(slot) = ordered.get_mut(new as usize) {
                *slot = self.records.values[old];
            }
        }
        let mut records = Vec::with_capacity(ordered.len() * record_layout.len());
        for indices in ordered {
            record_layout.pack(indices, &mut records);
        }
        let rates = self.rate_table();
        let terms = self.terms_table();
        let (destinations, mut strings) = self.destination_table();
        let tariffs = self.tariff_table(&mut strings);

        let sections: [&[u8]; SECTION_COUNT] = [
            &tariffs,
            &fst,
            &records,
            &versions,
            &rates,
            &terms,
            &destinations,
            &strings,
        ];
        let bytes = lay_out(record_layout, &sections);
        let stats = BuildStats {
            tariffs: self.tariffs.len(),
            rows: self.rows.len() as u64,
            prefixes,
            records: self.records.values.len() as u64,
            bytes: bytes.len() as u64,
            sort_time,
            index_time: started.elapsed() - sort_time,
        };
        Some((bytes, stats))
    }

    fn rate_table(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.rates.values.len() * layout::rate::LEN);
        for rate in &self.rates.values {
            let mut entry = [0u8; layout::rate::LEN];
            put(
                &mut entry,
                layout::rate::UNITS,
                &stored_units(*rate).to_le_bytes(),
            );
            entry[layout::rate::SCALE] = rate.scale();
            out.extend_from_slice(&entry);
        }
        out
    }

    fn terms_table(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.terms.values.len() * layout::terms::LEN);
        for (fee, increment_s, min_time_s, first_interval_s) in &self.terms.values {
            let mut entry = [0u8; layout::terms::LEN];
            put(
                &mut entry,
                layout::terms::FEE_UNITS,
                &stored_units(*fee).to_le_bytes(),
            );
            put(
                &mut entry,
                layout::terms::INCREMENT,
                &increment_s.to_le_bytes(),
            );
            put(
                &mut entry,
                layout::terms::MIN_TIME,
                &min_time_s.to_le_bytes(),
            );
            entry[layout::terms::FEE_SCALE] = fee.scale();
            put(
                &mut entry,
                layout::terms::FIRST_INTERVAL,
                &first_interval_s.to_le_bytes(),
            );
            out.extend_from_slice(&entry);
        }
        out
    }

    /// The destinations section (offsets) and the start of the strings section (the
    /// destinations' bytes, in index order).
    fn destination_table(&self) -> (Vec<u8>, Vec<u8>) {
        let names = &self.destinations.values;
        let mut offsets = Vec::with_capacity((names.len() + 1) * layout::destination::OFFSET_LEN);
        let mut strings = Vec::new();
        for name in names {
            offsets.extend_from_slice(&(strings.len() as u32).to_le_bytes());
            strings.extend_from_slice(name.as_bytes());
        }
        offsets.extend_from_slice(&(strings.len() as u32).to_le_bytes());
        (offsets, strings)
    }

    /// The tariffs section; names and currencies are appended to `strings`.
    fn tariff_table(&self, strings: &mut Vec<u8>) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.tariffs.len() * layout::tariff::LEN);
        let mut append = |text: &str| {
            let offset = strings.len() as u32;
            strings.extend_from_slice(text.as_bytes());
            (offset, text.len() as u32)
        };
        for meta in &self.tariffs {
            let mut entry = [0u8; layout::tariff::LEN];
            let (name_offset, name_len) = append(&meta.name);
            let (currency_offset, currency_len) = append(&meta.currency);
            put(
                &mut entry,
                layout::tariff::NAME_OFFSET,
                &name_offset.to_le_bytes(),
            );
            put(
                &mut entry,
                layout::tariff::NAME_LEN,
                &name_len.to_le_bytes(),
            );
            put(
                &mut entry,
                layout::tariff::CURRENCY_OFFSET,
                &currency_offset.to_le_bytes(),
            );
            put(
                &mut entry,
                layout::tariff::CURRENCY_LEN,
                &currency_len.to_le_bytes(),
            );
            put(
                &mut entry,
                layout::tariff::PREFIXES,
                &meta.prefixes.to_le_bytes(),
            );
            put(&mut entry, layout::tariff::ROWS, &meta.rows.to_le_bytes());
            out.extend_from_slice(&entry);
        }
        out
    }

    /// The rows of one prefix are sorted by (effective_from, line): a duplicate is a neighbour
    /// with the same date, reported at the later line and naming the first.
    fn report_duplicates(&self, group: &[PendingRow], errors: &mut ErrorList) {
        for run in group.chunk_by(|a, b| a.effective_from == b.effective_from) {
            let Some((first, rest)) = run.split_first() else {
                continue;
            };
            let meta = &self.tariffs[(first.key >> 80) as usize];
            let mut digits = Vec::new();
            decode_key(first.key, &mut digits);
            let prefix = String::from_utf8_lossy(&digits[2..]);
            for later in rest {
                let when = if first.effective_from == UNDATED {
                    "also undated".to_owned()
                } else {
                    format!("same effective_from as line {}", first.line)
                };
                errors.add(
                    &meta.file,
                    later.line,
                    meta.prefix_column,
                    format!(
                        "duplicate prefix \"{prefix}\": already defined at line {} ({when})",
                        first.line
                    ),
                );
            }
        }
    }
}

/// Copies `value` into `entry` at `at` (offsets come from [`layout`]).
/// A rate's or a fee's units as the artifact keeps them: the deck's reader refused any with
/// more than [`layout::MAX_AMOUNT_DIGITS`] digits, so they fit an i64.
fn stored_units(amount: Decimal) -> i64 {
    i64::try_from(amount.units()).expect("a deck's amounts have at most 18 digits")
}

fn put(entry: &mut [u8], at: usize, value: &[u8]) {
    entry[at..at + value.len()].copy_from_slice(value);
}

/// Sorts rows by (key, effective_from, line). The key alone decides almost every comparison,
/// so the bulk sort compares keys only (two halves on two threads, then a merge: the second
/// core is idle by then) and the rare runs of one prefix are ordered afterwards.
fn sort_rows(rows: &mut Vec<PendingRow>) {
    if rows.len() < 1 << 16 {
        rows.sort_unstable_by_key(|r| r.key);
    } else {
        let mid = rows.len() / 2;
        let (left, right) = rows.split_at_mut(mid);
        std::thread::scope(|scope| {
            scope.spawn(|| left.sort_unstable_by_key(|r| r.key));
            right.sort_unstable_by_key(|r| r.key);
        });
        let mut merged = Vec::with_capacity(rows.len());
        let (mut i, mut j) = (0, mid);
        while i < mid && j < rows.len() {
            let take_left = rows[i].key <= rows[j].key;
            merged.push(if take_left { rows[i] } else { rows[j] });
            i += usize::from(take_left);
            j += usize::from(!take_left);
        }
        merged.extend_from_slice(&rows[i..mid]);
        merged.extend_from_slice(&rows[j..]);
        *rows = merged;
    }
    for run in rows.chunk_by_mut(|a, b| a.key == b.key) {
        if run.len() > 1 {
            run.sort_unstable_by_key(|r| (r.effective_from, r.line));
        }
    }
}

/// Header, then each section aligned to 8 bytes; the checksum is filled in last.
fn lay_out(record_layout: RecordLayout, sections: &[&[u8]; SECTION_COUNT]) -> Vec<u8> {
    let total: usize = sections.iter().map(|s| s.len() + 8).sum::<usize>() + header::LEN;
    let mut out = Vec::with_capacity(total);
    out.resize(header::LEN, 0);
    put(&mut out, preamble::MAGIC, MAGIC);
    put(&mut out, preamble::VERSION, &FORMAT_VERSION.to_le_bytes());
    put(
        &mut out,
        preamble::HEADER_LEN,
        &(header::LEN as u32).to_le_bytes(),
    );
    put(&mut out, header::RECORD_LAYOUT, &record_layout.to_header());
    for (index, section) in sections.iter().enumerate() {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let at = header::SECTIONS + index * header::SECTION_ENTRY_LEN;
        let offset = out.len() as u64;
        put(&mut out, at, &offset.to_le_bytes());
        put(&mut out, at + 8, &(section.len() as u64).to_le_bytes());
        out.extend_from_slice(section);
    }
    let len = out.len() as u64;
    put(&mut out, preamble::FILE_LEN, &len.to_le_bytes());
    let crc = checksum(&out);
    put(&mut out, preamble::CHECKSUM, &crc.to_le_bytes());
    debug_assert_eq!(Section::Strings as usize, SECTION_COUNT - 1);
    out
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed and
/// synced, then renamed over `path` (and the folder synced). On any error `path` is untouched.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".ratel-")
        .suffix(".tmp")
        .tempfile_in(folder)?;
    // Temporary files are private (0600); an artifact is read by a server that may run as
    // another user, so it gets the usual file mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temp.write_all(bytes)?;
    temp.flush()?;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the folder's entry is on disk too.
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_encoding_orders_like_fst_bytes() {
        let keys: Vec<(u16, &[u8])> = vec![
            (0, b"1"),
            (0, b"10"),
            (0, b"109"),
            (0, b"11"),
            (0, b"2"),
            (0, b"99999999999999999999"),
            (1, b"0"),
        ];
        let mut previous: Option<(u128, Vec<u8>)> = None;
        for (tariff, prefix) in keys {
            let key = encode_key(tariff, prefix);
            let mut bytes = Vec::new();
            decode_key(key, &mut bytes);
            assert_eq!(&bytes[2..], prefix);
            if let Some((pkey, pbytes)) = previous {
                assert!(pkey < key && pbytes < bytes);
            }
            previous = Some((key, bytes));
        }
    }

    proptest::proptest! {
        /// Every column survives dictionary coding: each prefix reads back the rate, fee,
        /// increment, minimum, first interval and destination of its row, and the f64s of
        /// its decimals.
        #[test]
        fn every_field_of_every_row_reads_back(
            rows in proptest::collection::btree_map(
                "[0-9]{1,9}",
                (0i64..2_000_000, 0u8..=8, 0i64..300, 0u8..=4, 0u32..4, 0u32..3, 0usize..40),
                1..400,
            )
        ) {
            let names: Vec<String> = (0..40).map(|i| format!("Destination {i} ąž")).collect();
            let mut builder = ArtifactBuilder::new();
            let tariff = builder.add_tariff("t", "USD", "t.csv", 1).unwrap();
            for (line, (prefix, &(rate, rate_scale, fee, fee_scale, increment, minimum, name))) in
                rows.iter().enumerate()
            {
                builder.add_row(tariff, &TariffRow {
                    line: line as u64 + 2,
                    prefix: prefix.as_bytes(),
                    rate: Decimal::new(rate.into(), rate_scale),
                    connection_fee: Decimal::new(fee.into(), fee_scale),
                    increment_s: [1, 6, 30, 60][increment as usize],
                    min_time_s: minimum * 30,
                    first_interval_s: [0, 45, 60][((minimum + increment) % 3) as usize],
                    destination: &names[name],
                    effective_from: None,
                });
            }
            let (bytes, _) = builder.build(&mut ErrorList::new()).unwrap();
            let artifact = crate::artifact::Artifact::from_bytes(bytes).unwrap();
            for (prefix, &(rate, rate_scale, fee, fee_scale, increment, minimum, name)) in &rows {
                let found = artifact
                    .exact_match(0, prefix.as_bytes(), crate::time::Timestamp(0))
                    .unwrap();
                let record = artifact.record(found.record).unwrap();
                let (rate, fee) = (Decimal::new(rate.into(), rate_scale), Decimal::new(fee.into(), fee_scale));
                proptest::prop_assert_eq!(record.rate, rate);
                proptest::prop_assert_eq!(record.connection_fee, fee);
                proptest::prop_assert_eq!(record.rate_f64().to_bits(), rate.to_f64_through_text().to_bits());
                proptest::prop_assert_eq!(record.connection_fee_f64().to_bits(), fee.to_f64_through_text().to_bits());
                proptest::prop_assert_eq!(record.increment_s, [1, 6, 30, 60][increment as usize]);
                proptest::prop_assert_eq!(record.min_time_s, minimum * 30);
                proptest::prop_assert_eq!(
                    record.first_interval_s,
                    [0, 45, 60][((minimum + increment) % 3) as usize]
                );
                proptest::prop_assert_eq!(record.destination, names[name].as_bytes());
            }
        }
    }
}
