//! The text-keyed account indexes (username, `unique_hash`, card number), shaped for the
//! request path.
//!
//! Each request looks up one user or card among possibly a hundred thousand, so a lookup is
//! a handful of cache misses, and a `HashMap<String, usize>` adds one more: comparing the
//! key follows the `String`'s pointer to bytes stored elsewhere. Here a slot keeps the key's
//! first 23 bytes and its length inline, so the comparison reads the cache line the probe
//! already brought in; only a key longer than that is confirmed against the row itself.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Key bytes kept in a slot; the last byte of `Slot::key` holds the length, or `LONG`.
const INLINE: usize = 23;
/// The length byte of a key longer than `INLINE` bytes.
const LONG: u8 = u8::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: [u8; INLINE + 1],
    row: u32,
}

/// Rows by a unique text key.
#[derive(Debug, Default)]
pub(crate) struct TextIndex {
    table: HashTable<Slot>,
}

fn hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

/// The inline form of `key`: its first bytes, then its length (or `LONG`).
fn inline(key: &str) -> [u8; INLINE + 1] {
    let bytes = key.as_bytes();
    let mut slot = [0u8; INLINE + 1];
    let kept = bytes.len().min(INLINE);
    slot[..kept].copy_from_slice(&bytes[..kept]);
    slot[INLINE] = u8::try_from(bytes.len())
        .ok()
        .filter(|&len| usize::from(len) <= INLINE)
        .unwrap_or(LONG);
    slot
}

impl TextIndex {
    /// Indexes `rows` by `key_of` (rows without a key are left out). Keys must be unique:
    /// the loader checks that first and reports repeats as errors.
    pub(crate) fn new<T>(rows: &[T], key_of: impl Fn(&T) -> Option<&str>) -> TextIndex {
        let mut table = HashTable::with_capacity(rows.len());
        for (row, item) in rows.iter().enumerate() {
            let (Some(key), Ok(position)) = (key_of(item), u32::try_from(row)) else {
                continue;
            };
            let slot = Slot {
                key: inline(key),
                row: position,
            };
            table.insert_unique(hash(key), slot, |slot| {
                // Only on growth, which the capacity above rules out; kept exact anyway.
                key_of(&rows[slot.row as usize]).map_or(0, hash)
            });
        }
        TextIndex { table }
    }

    /// The row whose key is `key`; `key_of_row` gives a row's key, read only to confirm a
    /// key longer than what a slot holds.
    #[inline]
    pub(crate) fn get<'r>(
        &self,
        key: &str,
        key_of_row: impl Fn(usize) -> Option<&'r str>,
    ) -> Option<usize> {
        let probe = inline(key);
        self.table
            .find(hash(key), |slot| {
                slot.key == probe
                    && (probe[INLINE] != LONG || key_of_row(slot.row as usize) == Some(key))
            })
            .map(|slot| slot.row as usize)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The index answers exactly as a scan of the rows: keys of every length, including
        /// long keys that share their first 23 bytes.
        #[test]
        fn lookups_equal_a_scan(
            keys in proptest::collection::hash_set("[a-c]{0,3}(x{20,24})?[a-c]{0,3}", 0..60),
            probes in proptest::collection::vec("[a-c]{0,3}(x{20,24})?[a-c]{0,3}", 0..60),
        ) {
            let rows: Vec<Option<String>> = keys
                .into_iter()
                .enumerate()
                .map(|(i, k)| (i % 7 != 3).then_some(k))
                .collect();
            let index = TextIndex::new(&rows, |row| row.as_deref());
            let key_of_row = |row: usize| rows[row].as_deref();
            prop_assert_eq!(index.len(), rows.iter().flatten().count());
            for probe in probes.iter().chain(rows.iter().flatten()) {
                let scanned = rows.iter().position(|row| row.as_deref() == Some(probe.as_str()));
                prop_assert_eq!(index.get(probe, key_of_row), scanned, "{}", probe);
            }
        }
    }

    #[test]
    fn long_keys_that_share_their_inline_bytes_are_told_apart_by_the_row() {
        let long = "u".repeat(INLINE);
        let rows = vec![format!("{long}1"), format!("{long}2"), long.clone()];
        let index = TextIndex::new(&rows, |row| Some(row.as_str()));
        let key_of_row = |row: usize| Some(rows[row].as_str());
        assert_eq!(index.get(&format!("{long}2"), key_of_row), Some(1));
        assert_eq!(index.get(&format!("{long}1"), key_of_row), Some(0));
        assert_eq!(index.get(&long, key_of_row), Some(2));
        assert_eq!(index.get(&format!("{long}3"), key_of_row), None);
        assert_eq!(index.get("", key_of_row), None);
    }
}
