//! Building an artifact from validated tariff rows, and writing it atomically.
//!
//! Rows are kept as 48-byte entries whose sort key packs the tariff id and the prefix digits
//! into one `u128` that orders exactly as the fst keys do, so a deck of ten million rows sorts
//! as integers. Rate records are de-duplicated (a deck repeats a few thousand distinct rates
//! across a million prefixes) and destinations are interned in the string table.

use std::collections::hash_map::Entry;
use std::io::Write;
use std::path::Path;

use rustc_hash::FxHashMap;

use super::{
    checksum, header, Section, FORMAT_VERSION, HEADER_LEN, MAGIC, RECORD_LEN, SECTION_COUNT,
    TARIFF_ENTRY_LEN, VALUE_IS_VERSIONS, VERSION_LEN,
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

/// What makes two rows share one rate record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct RecordKey {
    rate: Decimal,
    fee: Decimal,
    increment_s: u32,
    min_time_s: u32,
    destination: (u32, u16),
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
    records: Vec<RecordKey>,
    record_ids: FxHashMap<RecordKey, u32>,
    strings: Vec<u8>,
    string_ids: FxHashMap<Box<[u8]>, u32>,
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
        let destination = self.intern(row.destination.as_bytes());
        let key = RecordKey {
            rate: row.rate,
            fee: row.connection_fee,
            increment_s: row.increment_s,
            min_time_s: row.min_time_s,
            destination,
        };
        let record = match self.record_ids.entry(key) {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let id = self.records.len() as u32;
                self.records.push(key);
                *slot.insert(id)
            }
        };
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

    fn intern(&mut self, text: &[u8]) -> (u32, u16) {
        let len = text.len() as u16;
        if let Some(&offset) = self.string_ids.get(text) {
            return (offset, len);
        }
        let offset = self.strings.len() as u32;
        self.strings.extend_from_slice(text);
        self.string_ids.insert(text.into(), offset);
        (offset, len)
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
            let value = if group.len() == 1 && group[0].effective_from == UNDATED {
                u64::from(group[0].record) << 1
            } else {
                let start = (versions.len() / VERSION_LEN) as u64;
                // Newest first: a lookup takes the first entry not after its time.
                for (i, row) in group.iter().rev().enumerate() {
                    versions.extend_from_slice(&row.effective_from.to_le_bytes());
                    versions.extend_from_slice(&row.record.to_le_bytes());
                    let count = if i == 0 { group.len() as u32 } else { 0 };
                    versions.extend_from_slice(&count.to_le_bytes());
                }
                (start << 1) | VALUE_IS_VERSIONS
            };
            decode_key(group[0].key, &mut key_bytes);
            // Keys arrive sorted and distinct (the chunks above), which is all insert needs.
            fst.insert(&key_bytes, value)
                .expect("fst keys are inserted in sorted, distinct order");
        }
        if !errors.is_empty() {
            return None;
        }
        let fst = fst
            .into_inner()
            .expect("an in-memory fst builder cannot fail to write");

        let mut tariffs = Vec::with_capacity(self.tariffs.len() * TARIFF_ENTRY_LEN);
        let labels: Vec<(String, String)> = self
            .tariffs
            .iter()
            .map(|t| (t.name.clone(), t.currency.clone()))
            .collect();
        let names: Vec<_> = labels
            .iter()
            .map(|(name, currency)| {
                (
                    self.intern(name.as_bytes()),
                    self.intern(currency.as_bytes()),
                )
            })
            .collect();
        for (meta, (name, currency)) in self.tariffs.iter().zip(names) {
            for (offset, len) in [name, currency] {
                tariffs.extend_from_slice(&offset.to_le_bytes());
                tariffs.extend_from_slice(&u32::from(len).to_le_bytes());
            }
            tariffs.extend_from_slice(&meta.prefixes.to_le_bytes());
            tariffs.extend_from_slice(&meta.rows.to_le_bytes());
            tariffs.extend_from_slice(&[0; 8]);
        }

        let mut records = Vec::with_capacity(self.records.len() * RECORD_LEN);
        for record in &self.records {
            records.extend_from_slice(&record.rate.units().to_le_bytes());
            records.extend_from_slice(&record.fee.units().to_le_bytes());
            records.extend_from_slice(&record.rate.to_f64().to_le_bytes());
            records.extend_from_slice(&record.fee.to_f64().to_le_bytes());
            records.extend_from_slice(&record.destination.0.to_le_bytes());
            records.extend_from_slice(&record.destination.1.to_le_bytes());
            records.push(record.rate.scale());
            records.push(record.fee.scale());
            records.extend_from_slice(&record.increment_s.to_le_bytes());
            records.extend_from_slice(&record.min_time_s.to_le_bytes());
        }

        let sections: [&[u8]; SECTION_COUNT] = [&tariffs, &fst, &records, &versions, &self.strings];
        let bytes = lay_out(&sections);
        let stats = BuildStats {
            tariffs: self.tariffs.len(),
            rows: self.rows.len() as u64,
            prefixes,
            records: self.records.len() as u64,
            bytes: bytes.len() as u64,
            sort_time,
            index_time: started.elapsed() - sort_time,
        };
        Some((bytes, stats))
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
fn lay_out(sections: &[&[u8]; SECTION_COUNT]) -> Vec<u8> {
    let total: usize = sections.iter().map(|s| s.len() + 8).sum::<usize>() + HEADER_LEN;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.resize(HEADER_LEN, 0);
    out[header::VERSION..header::VERSION + 4].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    out[header::HEADER_LEN..header::HEADER_LEN + 4]
        .copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    for (index, section) in sections.iter().enumerate() {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let at = header::SECTIONS + index * 16;
        let offset = out.len() as u64;
        out[at..at + 8].copy_from_slice(&offset.to_le_bytes());
        out[at + 8..at + 16].copy_from_slice(&(section.len() as u64).to_le_bytes());
        out.extend_from_slice(section);
    }
    let len = out.len() as u64;
    out[header::FILE_LEN..header::FILE_LEN + 8].copy_from_slice(&len.to_le_bytes());
    let crc = checksum(&out);
    out[header::CHECKSUM..header::CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
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
}
