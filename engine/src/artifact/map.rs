//! Mapping an artifact file and verifying it before use.
//!
//! `Artifact::open` copies the file into a private unlinked file and maps that read-only
//! (so in-place edits of the original cannot reach a running server), checks magic,
//! version, length and CRC-32, the
//! section table and every reference a lookup will follow from the small sections, then
//! resolves each tariff's fst root once. After that, reads are bounds-checked slices of the
//! map, so a file that changes under us can give a wrong answer at worst, never undefined
//! behaviour from our side. The fst and records are never copied into the heap.

use rustc_hash::FxHashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{
    checksum, header, read_u16, read_u32, read_u64, Section, FORMAT_VERSION, HEADER_LEN, MAGIC,
    RECORD_LEN, SECTION_COUNT, TARIFF_ENTRY_LEN, VERSION_LEN,
};
use crate::lookup::DenseTable;
use crate::money::Decimal;

/// Why an artifact was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path}: cannot read the artifact: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{path}: not a Ratel tariff artifact (bad magic bytes); compile it with tariff-compile"
    )]
    BadMagic { path: String },
    #[error("{path}: artifact format version {found} is newer than this build reads ({FORMAT_VERSION}); upgrade Ratel or recompile the tariffs with this version")]
    TooNew { path: String, found: u32 },
    #[error("{path}: artifact format version {found} is no longer supported (this build reads {FORMAT_VERSION}); recompile the tariffs")]
    TooOld { path: String, found: u32 },
    #[error("{path}: artifact is truncated: {found} bytes, expected {expected}")]
    Truncated {
        path: String,
        found: u64,
        expected: u64,
    },
    #[error("{path}: artifact is corrupt: {what}")]
    Corrupt { path: String, what: String },
}

/// The bytes behind an artifact: a read-only map of the file, or an owned buffer (tests,
/// freshly built decks). Shared so that the fst can hold its own handle.
#[derive(Debug)]
enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(map) => map,
            Backing::Owned(bytes) => bytes,
        }
    }
}

/// The fst section of a backing, as the `fst` crate wants its data.
#[derive(Debug, Clone)]
pub struct FstBytes {
    backing: Arc<Backing>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for FstBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        &self.backing.bytes()[self.start..self.end]
    }
}

/// One tariff of the artifact, with what lookups need resolved at load.
#[derive(Debug)]
pub struct TariffInfo {
    pub name: String,
    pub currency: String,
    /// Distinct prefixes.
    pub prefixes: u32,
    /// Rows, counting every dated version.
    pub rows: u32,
    /// The fst node after the two tariff-id bytes, and the output accumulated to it;
    /// `None` for a tariff with no rows.
    pub(crate) root: Option<(usize, u64)>,
    /// First-digits jump table for large tariffs (see `lookup`).
    pub(crate) dense: Option<DenseTable>,
}

/// A rate record as stored: exact decimals for arithmetic, their nearest `f64` for printing
/// the way MOR does, and the destination name's bytes (UTF-8, verified at load).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRecord<'a> {
    pub rate: Decimal,
    pub connection_fee: Decimal,
    pub rate_f64: f64,
    pub connection_fee_f64: f64,
    pub destination: &'a [u8],
    pub increment_s: u32,
    pub min_time_s: u32,
}

/// A verified, memory-mapped artifact.
pub struct Artifact {
    backing: Arc<Backing>,
    pub(crate) fst: fst::raw::Fst<FstBytes>,
    tariffs: Vec<TariffInfo>,
    by_name: FxHashMap<String, usize>,
    records: std::ops::Range<usize>,
    pub(crate) versions: std::ops::Range<usize>,
    strings: std::ops::Range<usize>,
    path: PathBuf,
    /// How the lookup's node reader decodes this fst's inputs.
    pub(crate) input_encoding: &'static [u8; 256],
}

impl fmt::Debug for Artifact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Artifact")
            .field("path", &self.path)
            .field("bytes", &self.backing.bytes().len())
            .field("tariffs", &self.tariffs.len())
            .finish()
    }
}

impl Artifact {
    /// Maps and verifies the artifact at `path`.
    pub fn open(path: &Path) -> Result<Artifact, ArtifactError> {
        let shown = path.display().to_string();
        let io = |source| ArtifactError::Io {
            path: shown.clone(),
            source,
        };
        // The map is of a private copy: an operator who truncates or rewrites the file in
        // place (instead of renaming a new one over it, as tariff-compile does) must not be
        // able to change, or fault with SIGBUS, the data a running server is answering from.
        let mut source = std::fs::File::open(path).map_err(io)?;
        let mut private = tempfile::tempfile().map_err(io)?;
        std::io::copy(&mut source, &mut private).map_err(io)?;
        // SAFETY: the map is read-only and of an unlinked temporary file that only this
        // process holds, so nothing can change or truncate the mapped bytes while they are
        // mapped; every read below is bounds-checked against the map's length regardless.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&private) }.map_err(io)?;
        Self::verify(Backing::Mapped(map), path)
    }

    /// Verifies an artifact held in memory (as built, or read by other means).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Artifact, ArtifactError> {
        Self::verify(Backing::Owned(bytes), Path::new("<memory>"))
    }

    fn verify(backing: Backing, path: &Path) -> Result<Artifact, ArtifactError> {
        let shown = path.display().to_string();
        let corrupt = |what: String| ArtifactError::Corrupt {
            path: shown.clone(),
            what,
        };
        let bytes = backing.bytes();
        let found = bytes.len() as u64;
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(ArtifactError::BadMagic { path: shown });
        }
        if bytes.len() < HEADER_LEN {
            return Err(ArtifactError::Truncated {
                path: shown,
                found,
                expected: HEADER_LEN as u64,
            });
        }
        let version = read_u32(bytes, header::VERSION).unwrap_or(0);
        if version > FORMAT_VERSION {
            return Err(ArtifactError::TooNew {
                path: shown,
                found: version,
            });
        }
        if version < FORMAT_VERSION {
            return Err(ArtifactError::TooOld {
                path: shown,
                found: version,
            });
        }
        let expected = read_u64(bytes, header::FILE_LEN).unwrap_or(0);
        if expected != found {
            return Err(if found < expected {
                ArtifactError::Truncated {
                    path: shown,
                    found,
                    expected,
                }
            } else {
                corrupt(format!(
                    "{found} bytes but the header says {expected}: trailing data"
                ))
            });
        }
        if read_u32(bytes, header::HEADER_LEN) != Some(HEADER_LEN as u32) {
            return Err(corrupt("unexpected header length".into()));
        }
        let stored = read_u32(bytes, header::CHECKSUM).unwrap_or(0);
        let actual = checksum(bytes);
        if stored != actual {
            return Err(corrupt(format!(
                "checksum mismatch (stored {stored:08x}, computed {actual:08x}); the file was damaged after compiling"
            )));
        }

        let mut ranges: [std::ops::Range<usize>; SECTION_COUNT] = std::array::from_fn(|_| 0..0);
        for (index, range) in ranges.iter_mut().enumerate() {
            let at = header::SECTIONS + index * 16;
            let (offset, len) = (read_u64(bytes, at), read_u64(bytes, at + 8));
            let (Some(offset), Some(len)) = (offset, len) else {
                return Err(corrupt("section table is unreadable".into()));
            };
            let end = offset.checked_add(len).filter(|&end| end <= found);
            let Some(end) = end.filter(|_| offset >= HEADER_LEN as u64) else {
                return Err(corrupt(format!("section {index} lies outside the file")));
            };
            *range = offset as usize..end as usize;
        }
        let section = |s: Section| ranges[s as usize].clone();
        for (which, entry) in [
            (Section::Tariffs, TARIFF_ENTRY_LEN),
            (Section::Records, RECORD_LEN),
            (Section::Versions, VERSION_LEN),
        ] {
            if section(which).len() % entry != 0 {
                return Err(corrupt(format!(
                    "{which:?} section is not a whole number of entries"
                )));
            }
        }
        let strings = section(Section::Strings);
        let string_at = |offset: u32, len: u32| -> Option<&str> {
            let start = strings.start.checked_add(offset as usize)?;
            let end = start.checked_add(len as usize)?;
            if end > strings.end {
                return None;
            }
            std::str::from_utf8(bytes.get(start..end)?).ok()
        };

        let records = section(Section::Records);
        let record_count = records.len() / RECORD_LEN;
        for index in 0..record_count {
            let at = records.start + index * RECORD_LEN;
            let (offset, len) = (read_u32(bytes, at + 32), read_u16(bytes, at + 36));
            let ok =
                matches!((offset, len), (Some(o), Some(l)) if string_at(o, u32::from(l)).is_some());
            let scales_ok = bytes[at + 38] <= 18 && bytes[at + 39] <= 18;
            if !ok || !scales_ok {
                return Err(corrupt(format!("rate record {index} is invalid")));
            }
        }
        let versions = section(Section::Versions);
        for index in 0..versions.len() / VERSION_LEN {
            let record = read_u32(bytes, versions.start + index * VERSION_LEN + 8);
            if record.is_none_or(|r| r as usize >= record_count) {
                return Err(corrupt(format!("dated version {index} names no record")));
            }
        }

        let tariff_section = section(Section::Tariffs);
        let mut infos = Vec::with_capacity(tariff_section.len() / TARIFF_ENTRY_LEN);
        for index in 0..tariff_section.len() / TARIFF_ENTRY_LEN {
            let at = tariff_section.start + index * TARIFF_ENTRY_LEN;
            let field = |i: usize| read_u32(bytes, at + 4 * i).unwrap_or(u32::MAX);
            let (Some(name), Some(currency)) =
                (string_at(field(0), field(1)), string_at(field(2), field(3)))
            else {
                return Err(corrupt(format!("tariff entry {index} has an invalid name")));
            };
            infos.push(TariffInfo {
                name: name.to_owned(),
                currency: currency.to_owned(),
                prefixes: field(4),
                rows: field(5),
                root: None,
                dense: None,
            });
        }

        let backing = Arc::new(backing);
        let fst_range = section(Section::Fst);
        let fst = fst::raw::Fst::new(FstBytes {
            backing: Arc::clone(&backing),
            start: fst_range.start,
            end: fst_range.end,
        })
        .map_err(|e| corrupt(format!("fst index: {e}")))?;
        // Ratel reads every node itself (bounds-checked); only the version it knows is allowed.
        let input_encoding = crate::lookup::input_encoding(fst.as_bytes()).ok_or_else(|| {
            corrupt("fst index is not in the format version this build reads (3)".into())
        })?;
        if fst.len() as u64 > infos.iter().map(|t| u64::from(t.prefixes)).sum::<u64>() {
            return Err(corrupt(
                "fst index holds more keys than the tariffs declare".into(),
            ));
        }

        let mut by_name = FxHashMap::with_capacity_and_hasher(infos.len(), Default::default());
        for (index, info) in infos.iter_mut().enumerate() {
            if by_name.insert(info.name.clone(), index).is_some() {
                return Err(corrupt(format!("tariff \"{}\" appears twice", info.name)));
            }
            info.root = crate::lookup::tariff_root(&fst, input_encoding, index as u16);
            if info.root.is_none() && info.prefixes > 0 {
                return Err(corrupt(format!(
                    "tariff \"{}\" declares prefixes the index does not hold",
                    info.name
                )));
            }
        }
        let mut artifact = Artifact {
            backing,
            fst,
            tariffs: infos,
            by_name,
            records,
            versions,
            strings,
            path: path.to_owned(),
            input_encoding,
        };
        crate::lookup::build_dense_tables(&mut artifact);
        Ok(artifact)
    }

    /// Where the artifact was loaded from (`<memory>` for [`Artifact::from_bytes`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Size of the file in bytes.
    pub fn len_bytes(&self) -> usize {
        self.backing.bytes().len()
    }

    /// Bytes of the fst index alone.
    pub fn fst_bytes(&self) -> usize {
        self.fst.as_bytes().len()
    }

    /// Heap bytes of the lookup acceleration tables built at load.
    pub fn dense_table_bytes(&self) -> usize {
        self.tariffs
            .iter()
            .filter_map(|t| t.dense.as_ref())
            .map(DenseTable::heap_bytes)
            .sum()
    }

    /// Every tariff, in id order.
    pub fn tariffs(&self) -> &[TariffInfo] {
        &self.tariffs
    }

    pub(crate) fn tariffs_mut(&mut self) -> &mut [TariffInfo] {
        &mut self.tariffs
    }

    /// The id of the tariff named `name`.
    pub fn tariff_id(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// How many distinct rate records the artifact holds.
    pub fn record_count(&self) -> usize {
        self.records.len() / RECORD_LEN
    }

    /// Rate record number `index`, or `None` past the end.
    #[inline]
    pub fn record(&self, index: u32) -> Option<RateRecord<'_>> {
        let bytes = self.backing.bytes();
        let at = self.records.start + index as usize * RECORD_LEN;
        let raw = bytes
            .get(at..at + RECORD_LEN)
            .filter(|_| at < self.records.end)?;
        let i64_at = |i: usize| i64::from_le_bytes(raw[i..i + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |i: usize| u32::from_le_bytes(raw[i..i + 4].try_into().unwrap_or([0; 4]));
        let destination_offset = self.strings.start + u32_at(32) as usize;
        let destination_len = usize::from(u16::from_le_bytes([raw[36], raw[37]]));
        Some(RateRecord {
            rate: Decimal::from_canonical(i64_at(0), raw[38]),
            connection_fee: Decimal::from_canonical(i64_at(8), raw[39]),
            rate_f64: f64::from_bits(i64_at(16) as u64),
            connection_fee_f64: f64::from_bits(i64_at(24) as u64),
            destination: bytes
                .get(destination_offset..destination_offset + destination_len)
                .unwrap_or(&[]),
            increment_s: u32_at(40),
            min_time_s: u32_at(44),
        })
    }

    /// The versions section's bytes.
    #[inline]
    pub(crate) fn version_bytes(&self) -> &[u8] {
        &self.backing.bytes()[self.versions.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifact::ArtifactBuilder;
    use crate::input::ErrorList;
    use crate::money::Decimal;
    use crate::tariff::TariffRow;
    use crate::time::Timestamp;

    fn small_artifact() -> Vec<u8> {
        let mut builder = ArtifactBuilder::new();
        let tariff = builder.add_tariff("retail", "EUR", "t.csv", 1).unwrap();
        for (line, prefix) in ["370", "3706", "44", "447"].iter().enumerate() {
            builder.add_row(
                tariff,
                &TariffRow {
                    line: line as u64 + 2,
                    prefix: prefix.as_bytes(),
                    rate: Decimal::parse("0.987", false).unwrap(),
                    connection_fee: Decimal::ZERO,
                    increment_s: 60,
                    min_time_s: 0,
                    destination: "Lithuania & more",
                    effective_from: (line == 3).then_some(Timestamp(0)),
                },
            );
        }
        builder.build(&mut ErrorList::new()).unwrap().0
    }

    #[test]
    fn a_built_artifact_round_trips_its_metadata_and_records() {
        let artifact = Artifact::from_bytes(small_artifact()).unwrap();
        let info = &artifact.tariffs()[0];
        assert_eq!(
            (info.name.as_str(), info.currency.as_str()),
            ("retail", "EUR")
        );
        assert_eq!((info.prefixes, info.rows), (4, 4));
        let found = artifact.longest_match(0, b"37061", Timestamp(0)).unwrap();
        let record = artifact.record(found.record).unwrap();
        assert_eq!(found.prefix_len, 4);
        assert_eq!(record.destination, b"Lithuania & more");
        assert_eq!(record.rate_f64, 0.987);
        assert_eq!(record.rate.to_string(), "0.987");
        assert_eq!(record.increment_s, 60);
        assert!(artifact.record(artifact.record_count() as u32).is_none());
    }

    #[test]
    fn every_truncation_is_refused() {
        let bytes = small_artifact();
        for len in 0..bytes.len() {
            let error = Artifact::from_bytes(bytes[..len].to_vec()).unwrap_err();
            assert!(
                matches!(
                    error,
                    ArtifactError::Truncated { .. } | ArtifactError::BadMagic { .. }
                ),
                "length {len}: {error}"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_is_refused() {
        let bytes = small_artifact();
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[at] ^= 1 << bit;
                assert!(
                    Artifact::from_bytes(flipped).is_err(),
                    "flip of bit {bit} at byte {at} was accepted"
                );
            }
        }
    }

    #[test]
    fn newer_and_older_versions_are_refused_even_with_a_valid_checksum() {
        for (version, newer) in [(FORMAT_VERSION + 1, true), (0, false)] {
            let mut bytes = small_artifact();
            bytes[header::VERSION..header::VERSION + 4].copy_from_slice(&version.to_le_bytes());
            let crc = checksum(&bytes);
            bytes[header::CHECKSUM..header::CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
            let error = Artifact::from_bytes(bytes).unwrap_err();
            if newer {
                assert!(matches!(error, ArtifactError::TooNew { found, .. } if found == version));
                assert!(error
                    .to_string()
                    .contains("is newer than this build reads (1)"));
            } else {
                assert!(matches!(error, ArtifactError::TooOld { .. }), "{error}");
            }
        }
    }

    /// A deck of a few hundred prefixes, some dated, in two tariffs.
    fn larger_artifact() -> Vec<u8> {
        let mut builder = ArtifactBuilder::new();
        for t in 0..2 {
            let tariff = builder
                .add_tariff(&format!("t{t}"), "USD", "t.csv", 1)
                .unwrap();
            for i in 0..300u32 {
                let prefix = format!("{}{}", 1 + t, i * 7);
                builder.add_row(
                    tariff,
                    &TariffRow {
                        line: u64::from(i) + 2,
                        prefix: prefix.as_bytes(),
                        rate: Decimal::new(i64::from(i), 3),
                        connection_fee: Decimal::ZERO,
                        increment_s: 1,
                        min_time_s: 0,
                        destination: "Somewhere",
                        effective_from: (i % 5 == 0).then_some(Timestamp(i64::from(i) * 86_400)),
                    },
                );
            }
        }
        builder.build(&mut ErrorList::new()).unwrap().0
    }

    fn reseal(bytes: &mut [u8]) {
        let crc = checksum(bytes);
        bytes[header::CHECKSUM..header::CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
    }

    #[test]
    fn an_fst_of_another_format_version_is_refused() {
        let mut bytes = small_artifact();
        let at = read_u64(&bytes, header::SECTIONS + 16).unwrap() as usize;
        bytes[at..at + 8].copy_from_slice(&2u64.to_le_bytes());
        reseal(&mut bytes);
        let error = Artifact::from_bytes(bytes).unwrap_err().to_string();
        assert!(
            error.contains("fst index is not in the format version this build reads (3)"),
            "{error}"
        );
    }

    proptest::proptest! {
        /// Damage that keeps a valid CRC (a forged file, or a bug upstream of the writer)
        /// must be refused or answered, never panic.
        #[test]
        fn forged_artifacts_never_panic(
            damage in proptest::collection::vec((proptest::num::usize::ANY, proptest::num::u8::ANY), 1..12),
            numbers in proptest::collection::vec("[0-9]{0,12}", 1..20),
        ) {
            let mut bytes = larger_artifact();
            let len = bytes.len();
            for (at, value) in damage {
                // Mostly past the header: header damage is caught by its own checks.
                bytes[HEADER_LEN + at % (len - HEADER_LEN)] = value;
            }
            reseal(&mut bytes);
            if let Ok(artifact) = Artifact::from_bytes(bytes) {
                for tariff in 0..3 {
                    for number in &numbers {
                        for at in [Timestamp(0), Timestamp(i64::MAX)] {
                            if let Some(found) = artifact.longest_match(tariff, number.as_bytes(), at) {
                                let _ = artifact.record(found.record);
                            }
                            let _ = artifact.exact_match(tariff, number.as_bytes(), at);
                            let _ = artifact.longest_match_from_root(tariff, number.as_bytes(), at);
                        }
                    }
                }
            }
        }

        #[test]
        fn random_truncations_are_refused(cut in 0usize..100_000) {
            let bytes = larger_artifact();
            let cut = cut % bytes.len();
            proptest::prop_assert!(Artifact::from_bytes(bytes[..cut].to_vec()).is_err());
        }
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = small_artifact();
        bytes.extend_from_slice(b"junk");
        let error = Artifact::from_bytes(bytes).unwrap_err();
        assert!(error.to_string().contains("trailing data"), "{error}");
    }

    #[test]
    fn open_maps_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ratel");
        std::fs::write(&path, small_artifact()).unwrap();
        let artifact = Artifact::open(&path).unwrap();
        assert_eq!(artifact.path(), path);
        assert!(artifact.exact_match(0, b"44", Timestamp(0)).is_some());
        std::fs::write(&path, b"RATELTRF").unwrap();
        let error = Artifact::open(&path).unwrap_err().to_string();
        assert!(error.starts_with(&path.display().to_string()), "{error}");
        assert!(error.contains("truncated"), "{error}");
        std::fs::write(&path, b"").unwrap();
        let error = Artifact::open(&path).unwrap_err().to_string();
        assert!(error.contains("not a Ratel tariff artifact"), "{error}");
    }

    #[test]
    fn a_loaded_artifact_survives_its_file_being_rewritten_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.ratel");
        std::fs::write(&path, larger_artifact()).unwrap();
        let artifact = Artifact::open(&path).unwrap();
        let before = artifact
            .longest_match(0, b"1700", Timestamp(i64::MAX))
            .unwrap();
        // Truncate and scribble over the very file that was opened.
        std::fs::write(&path, b"RATELTRF garbage").unwrap();
        assert_eq!(
            artifact.longest_match(0, b"1700", Timestamp(i64::MAX)),
            Some(before)
        );
        assert!(artifact.record(before.record).is_some());
    }
}
