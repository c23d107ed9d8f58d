//! The compiled tariff artifact: one file holding every tariff of a deck.
//!
//! `build` turns validated rows into the file's bytes, `map` maps a file and reads it, and
//! `verify` checks it before anything reads it. The byte layout (documented in
//! `docs/artifact.md`) is defined here once, in `layout`, as named offsets both sides use:
//! a preamble that never moves across format versions (magic, version, length, CRC-32), the
//! rest of the header, then eight sections. Rows point to small dictionary-coded records
//! (indices into tables of rates, billing terms and destinations), so a deck where nearly
//! every prefix has its own rate costs a few bytes a row. Everything is little-endian and
//! read through bounds-checked slices.

mod build;
pub(crate) mod dense;
pub(crate) mod fst_node;
pub(crate) mod index;
mod map;
mod verify;

pub use build::{write_atomic, ArtifactBuilder, BuildStats, TariffId};
pub use map::{Artifact, ArtifactError, FstBytes, RateRecord, TariffInfo};

/// First eight bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"RATELTRF";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 3;

/// Where every field of the file lives: one module per kind of entry, offsets relative to
/// the entry's start.
pub(crate) mod layout {
    /// The first 28 bytes, the same in every format version, so that a file is checked for
    /// damage (length, then CRC-32) before any other header field is believed.
    pub mod preamble {
        pub const MAGIC: usize = 0;
        /// Format version, u32.
        pub const VERSION: usize = 8;
        /// Header length, u32.
        pub const HEADER_LEN: usize = 12;
        /// Total file length, u64.
        pub const FILE_LEN: usize = 16;
        /// CRC-32 of the whole file read with these four bytes as zero, u32.
        pub const CHECKSUM: usize = 24;
        /// Bytes in the preamble.
        pub const LEN: usize = 28;
    }

    /// The rest of the header (format versions 2 and 3).
    pub mod header {
        /// Bit widths of a record's three indices (rate, destination, terms) and the
        /// record's width in bytes, one byte each.
        pub const RECORD_LAYOUT: usize = 28;
        /// [`super::SECTION_COUNT`] (offset u64, length u64) pairs, in
        /// [`super::Section`] order.
        pub const SECTIONS: usize = 32;
        /// Bytes of one section-table entry.
        pub const SECTION_ENTRY_LEN: usize = 16;
        /// Bytes in the header.
        pub const LEN: usize = SECTIONS + super::SECTION_COUNT * SECTION_ENTRY_LEN;
    }

    /// The sections, in file order.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Section {
        Tariffs = 0,
        Fst = 1,
        Records = 2,
        Versions = 3,
        Rates = 4,
        Terms = 5,
        Destinations = 6,
        Strings = 7,
    }

    pub const SECTION_COUNT: usize = 8;

    /// A tariff entry: name and currency as (offset, length) in the strings section, then its
    /// counts; all u32.
    pub mod tariff {
        pub const NAME_OFFSET: usize = 0;
        pub const NAME_LEN: usize = 4;
        pub const CURRENCY_OFFSET: usize = 8;
        pub const CURRENCY_LEN: usize = 12;
        pub const PREFIXES: usize = 16;
        pub const ROWS: usize = 20;
        /// Bytes 24..32 are reserved (zero).
        pub const LEN: usize = 32;
    }

    /// A dated version: effective_from i64 (`i64::MIN` when undated), record index u32, and
    /// in the first entry of a group the group's length (u32; 0 in the others).
    pub mod version {
        pub const EFFECTIVE_FROM: usize = 0;
        pub const RECORD: usize = 8;
        pub const GROUP_LEN: usize = 12;
        pub const LEN: usize = 16;
    }

    /// Significant digits, and places, of a rate or a fee: what an i64 of units holds (a
    /// deck's amount with more is refused when it is read).
    pub use crate::tariff::MAX_AMOUNT_DIGITS;

    /// A rate: units i64 and scale u8 of an exact decimal (canonical).
    pub mod rate {
        pub const UNITS: usize = 0;
        pub const SCALE: usize = 8;
        pub const LEN: usize = 9;
    }

    /// Billing terms: connection fee units i64, increment u32, minimum time u32, fee
    /// scale u8, three reserved bytes, first interval u32 (0: none; format version 3).
    pub mod terms {
        pub const FEE_UNITS: usize = 0;
        pub const INCREMENT: usize = 8;
        pub const MIN_TIME: usize = 12;
        pub const FEE_SCALE: usize = 16;
        pub const FIRST_INTERVAL: usize = 20;
        pub const LEN: usize = 24;
    }

    /// The destinations section: `count + 1` u32 offsets into the strings section;
    /// destination `i` is the bytes from offset `i` to offset `i + 1`.
    pub mod destination {
        pub const OFFSET_LEN: usize = 4;
    }
}

use layout::{preamble, Section, SECTION_COUNT};

/// An `fst` value names what a prefix maps to: low bit 0, the index of its only record
/// (undated); low bit 1, the index of its first entry in the versions section.
const VALUE_IS_VERSIONS: u64 = 1;

/// What an `fst` value points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// The prefix's only rate record.
    Record(u32),
    /// The first entry of the prefix's group of dated versions.
    Versions(usize),
}

impl Target {
    /// Decodes an fst value; `None` when it cannot be an index (only in a damaged file).
    #[inline]
    pub(crate) fn from_value(value: u64) -> Option<Target> {
        if value & VALUE_IS_VERSIONS == 0 {
            u32::try_from(value >> 1).ok().map(Target::Record)
        } else {
            usize::try_from(value >> 1).ok().map(Target::Versions)
        }
    }

    fn value(self) -> u64 {
        match self {
            Target::Record(record) => u64::from(record) << 1,
            Target::Versions(start) => ((start as u64) << 1) | VALUE_IS_VERSIONS,
        }
    }
}

/// The three indices a record packs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RecordIndices {
    pub rate: u32,
    pub destination: u32,
    pub terms: u32,
}

/// How records pack their indices: each takes the bits its table's size needs, rate in the
/// low bits, then destination, then terms, in `bytes` little-endian bytes (at least one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordLayout {
    rate_bits: u8,
    destination_bits: u8,
    terms_bits: u8,
    bytes: u8,
}

/// Bits that hold every index below `count`.
fn index_bits(count: usize) -> u8 {
    (usize::BITS - count.saturating_sub(1).leading_zeros()) as u8
}

impl RecordLayout {
    /// The narrowest layout for tables of these sizes.
    fn for_counts(rates: usize, destinations: usize, terms: usize) -> RecordLayout {
        RecordLayout::for_bits(
            index_bits(rates),
            index_bits(destinations),
            index_bits(terms),
        )
    }

    /// The header's four layout bytes, or `None` when they describe no layout this build
    /// writes (an index wider than 32 bits, or a width that does not fit the bits).
    fn from_header(raw: [u8; 4]) -> Option<RecordLayout> {
        let [rate_bits, destination_bits, terms_bits, bytes] = raw;
        if rate_bits > 32 || destination_bits > 32 || terms_bits > 32 {
            return None;
        }
        let layout = RecordLayout::for_bits(rate_bits, destination_bits, terms_bits);
        (layout.bytes == bytes).then_some(layout)
    }

    fn for_bits(rate_bits: u8, destination_bits: u8, terms_bits: u8) -> RecordLayout {
        let bits = u32::from(rate_bits) + u32::from(destination_bits) + u32::from(terms_bits);
        RecordLayout {
            rate_bits,
            destination_bits,
            terms_bits,
            bytes: bits.div_ceil(8).max(1) as u8,
        }
    }

    fn to_header(self) -> [u8; 4] {
        [
            self.rate_bits,
            self.destination_bits,
            self.terms_bits,
            self.bytes,
        ]
    }

    /// Bytes of one record.
    #[inline]
    pub(crate) fn len(self) -> usize {
        usize::from(self.bytes)
    }

    fn pack(self, indices: RecordIndices, out: &mut Vec<u8>) {
        let packed = u128::from(indices.rate)
            | u128::from(indices.destination) << self.rate_bits
            | u128::from(indices.terms) << (self.rate_bits + self.destination_bits);
        out.extend_from_slice(&packed.to_le_bytes()[..self.len()]);
    }

    /// The indices of the record in `raw` (exactly [`RecordLayout::len`] bytes).
    #[inline]
    pub(crate) fn unpack(self, raw: &[u8]) -> RecordIndices {
        let mut wide = [0u8; 16];
        let len = raw.len().min(16);
        wide[..len].copy_from_slice(&raw[..len]);
        let packed = u128::from_le_bytes(wide);
        let field = |shift: u8, bits: u8| ((packed >> shift) & ((1u128 << bits) - 1)) as u32;
        RecordIndices {
            rate: field(0, self.rate_bits),
            destination: field(self.rate_bits, self.destination_bits),
            terms: field(self.rate_bits + self.destination_bits, self.terms_bits),
        }
    }
}

/// Reads a little-endian integer at `at`; `None` when out of bounds.
fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn read_i64(bytes: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_le_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// CRC-32 of the whole file with the checksum field read as zero (`bytes` holds at least
/// the preamble).
fn checksum(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[..preamble::CHECKSUM]);
    hasher.update(&[0; 4]);
    hasher.update(&bytes[preamble::CHECKSUM + 4..]);
    hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_pack_and_unpack_at_every_width() {
        for (rates, destinations, terms) in [
            (1, 1, 1),
            (2, 1, 9),
            (64_648, 41_128, 8),
            (1 << 32, 1 << 32, 1 << 32),
        ] {
            let layout = RecordLayout::for_counts(rates, destinations, terms);
            assert_eq!(RecordLayout::from_header(layout.to_header()), Some(layout));
            let last = RecordIndices {
                rate: (rates - 1) as u32,
                destination: (destinations - 1) as u32,
                terms: (terms - 1) as u32,
            };
            for indices in [
                last,
                RecordIndices {
                    rate: 0,
                    destination: 0,
                    terms: 0,
                },
            ] {
                let mut out = Vec::new();
                layout.pack(indices, &mut out);
                assert_eq!(out.len(), layout.len());
                assert_eq!(layout.unpack(&out), indices);
            }
        }
        assert_eq!(RecordLayout::for_counts(64_648, 41_128, 8).len(), 5);
        assert_eq!(RecordLayout::from_header([33, 0, 0, 5]), None);
        assert_eq!(RecordLayout::from_header([8, 8, 0, 3]), None);
    }

    #[test]
    fn fst_values_round_trip() {
        for target in [
            Target::Record(0),
            Target::Record(u32::MAX),
            Target::Versions(7),
        ] {
            assert_eq!(Target::from_value(target.value()), Some(target));
        }
    }
}
