//! The compiled tariff artifact: one file holding every tariff of a deck.
//!
//! `build` turns validated rows into the file's bytes, `map` maps a file and verifies it
//! before anything reads it. The byte layout (documented in `docs/artifact.md`) is defined
//! here once, as constants both sides use: a fixed header with magic, version, length and
//! CRC-32, then five sections — tariffs, the `fst` index, rate records, dated versions and
//! strings. Everything is little-endian and read through bounds-checked slices.

mod build;
mod map;

pub use build::{write_atomic, ArtifactBuilder, BuildStats, TariffId};
pub use map::{Artifact, ArtifactError, FstBytes, RateRecord, TariffInfo};

/// First eight bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"RATELTRF";
/// The layout version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Size of the fixed header.
pub const HEADER_LEN: usize = 128;

/// Byte offsets inside the header.
mod header {
    pub const VERSION: usize = 8;
    pub const HEADER_LEN: usize = 12;
    pub const FILE_LEN: usize = 16;
    pub const CHECKSUM: usize = 24;
    /// Five (offset u64, length u64) pairs, in [`super::Section`] order.
    pub const SECTIONS: usize = 32;
}

/// The five sections, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Tariffs = 0,
    Fst = 1,
    Records = 2,
    Versions = 3,
    Strings = 4,
}

const SECTION_COUNT: usize = 5;

/// A tariff entry: name (offset u32, len u32), currency (offset u32, len u32) in the string
/// table, distinct prefixes u32, rows u32, 8 reserved bytes.
const TARIFF_ENTRY_LEN: usize = 32;

/// A rate record: rate units i64, fee units i64, rate f64, fee f64, destination offset u32,
/// destination length u16, rate scale u8, fee scale u8, increment u32, minimum time u32.
const RECORD_LEN: usize = 48;

/// A dated version: effective_from i64 (`i64::MIN` when undated), record index u32, and in
/// the first entry of a group the group's length (u32; 0 in the others).
const VERSION_LEN: usize = 16;

/// An `fst` value names what a prefix maps to: low bit 0, the index of its only record
/// (undated); low bit 1, the index of its first entry in the versions section.
const VALUE_IS_VERSIONS: u64 = 1;

/// Reads a little-endian integer at `at`; `None` when out of bounds.
fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

/// CRC-32 of the whole file with the checksum field read as zero.
fn checksum(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&bytes[..header::CHECKSUM]);
    hasher.update(&[0; 4]);
    hasher.update(&bytes[header::CHECKSUM + 4..]);
    hasher.finalize()
}
