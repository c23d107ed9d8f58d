//! Verifying an artifact before anything reads it, one named step per check.
//!
//! The order matters: nothing in the header is believed before the file is known to be
//! whole. The preamble (magic, length, CRC-32) sits at the same offsets in every format
//! version, so the length and the checksum are checked first, and only a file that passes
//! both has its version read: a damaged byte reads as damage, and "newer" or "recompile" is
//! said only of a file that is intact. Then the section table, the tables every record
//! points into, the records, the dated versions, the tariffs and the index, so that every
//! reference a lookup follows is known to land inside the file.

use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::layout::MAX_AMOUNT_DIGITS;
use super::layout::{self, header, preamble, Section, SECTION_COUNT};
use super::map::{Artifact, ArtifactError, Backing, FstBytes, Sections, TariffInfo};
use super::{checksum, read_u32, read_u64, RecordLayout, FORMAT_VERSION, MAGIC};

/// Why verification stopped; the path is attached by [`Refusal::at`].
#[derive(Debug)]
enum Refusal {
    NotAnArtifact,
    Truncated { found: u64, expected: u64 },
    Damaged(String),
    TooNew(u32),
    TooOld(u32),
}

impl Refusal {
    fn at(self, path: &Path) -> ArtifactError {
        let path = path.display().to_string();
        match self {
            Refusal::NotAnArtifact => ArtifactError::BadMagic { path },
            Refusal::Truncated { found, expected } => ArtifactError::Truncated {
                path,
                found,
                expected,
            },
            Refusal::Damaged(what) => ArtifactError::Corrupt { path, what },
            Refusal::TooNew(found) => ArtifactError::TooNew { path, found },
            Refusal::TooOld(found) => ArtifactError::TooOld { path, found },
        }
    }
}

type Checked<T> = Result<T, Refusal>;

fn damaged<T>(what: impl Into<String>) -> Checked<T> {
    Err(Refusal::Damaged(what.into()))
}

impl Artifact {
    /// Checks `backing` step by step and, when every step passes, returns the artifact
    /// ready for lookups (tariff roots and dense tables resolved).
    pub(super) fn verify(backing: Backing, path: &Path) -> Result<Artifact, ArtifactError> {
        Self::check(backing, path).map_err(|refusal| refusal.at(path))
    }

    fn check(backing: Backing, path: &Path) -> Checked<Artifact> {
        let bytes = backing.bytes();
        check_preamble(bytes)?;
        check_checksum(bytes)?;
        check_version(bytes)?;
        let (sections, record_layout) = read_header(bytes)?;
        check_whole_entries(&sections, record_layout)?;

        let backing = Arc::new(backing);
        let (fst, input_encoding) = open_index(&backing, &sections)?;
        let mut artifact = Artifact {
            backing,
            fst,
            tariffs: Vec::new(),
            by_name: FxHashMap::default(),
            sections,
            record_layout,
            path: path.to_owned(),
            input_encoding,
            first_intervals: false,
        };
        let counts = TableCounts {
            destinations: artifact.check_destinations()?,
            rates: artifact.check_rates()?,
            terms: artifact.check_terms()?,
        };
        artifact.check_records(counts)?;
        artifact.check_versions()?;
        artifact.read_tariffs()?;
        artifact.check_index()?;
        super::index::build_dense_tables(&mut artifact);
        Ok(artifact)
    }

    /// Every destination lies in the strings section and is UTF-8; returns how many there are.
    fn check_destinations(&self) -> Checked<u32> {
        let offsets = self.sections.get(Section::Destinations).len();
        let count = (offsets / layout::destination::OFFSET_LEN).saturating_sub(1);
        let Ok(count) = u32::try_from(count) else {
            return damaged("the destinations table is too long");
        };
        for index in 0..count {
            let valid = self
                .destination(index)
                .is_some_and(|name| std::str::from_utf8(name).is_ok());
            if !valid {
                return damaged(format!("destination {index} is invalid"));
            }
        }
        Ok(count)
    }

    /// Every rate is a canonical decimal of at most 18 places; returns how many there are.
    fn check_rates(&self) -> Checked<u32> {
        let count = self.sections.get(Section::Rates).len() / layout::rate::LEN;
        let Ok(count) = u32::try_from(count) else {
            return damaged("the rates table is too long");
        };
        for index in 0..count {
            if !self.rate(index).is_some_and(is_canonical) {
                return damaged(format!("rate {index} is invalid"));
            }
        }
        Ok(count)
    }

    /// Every connection fee is a canonical decimal of at most 18 places; returns how many
    /// sets of terms there are, and notes whether any has a first interval.
    fn check_terms(&mut self) -> Checked<u32> {
        let count = self.sections.get(Section::Terms).len() / layout::terms::LEN;
        let Ok(count) = u32::try_from(count) else {
            return damaged("the terms table is too long");
        };
        for index in 0..count {
            let Some((fee, _, _, first_interval_s)) = self.terms(index) else {
                return damaged(format!("billing terms {index} are invalid"));
            };
            if !is_canonical(fee) {
                return damaged(format!("billing terms {index} are invalid"));
            }
            self.first_intervals |= first_interval_s != 0;
        }
        Ok(count)
    }

    /// Every record's indices name entries of the tables.
    fn check_records(&self, counts: TableCounts) -> Checked<()> {
        let records = self.sections.get(Section::Records);
        let width = self.record_layout.len();
        let Some(raw_records) = self.backing.bytes().get(records) else {
            return damaged("the records section lies outside the file");
        };
        for (index, raw) in raw_records.chunks_exact(width).enumerate() {
            let indices = self.record_layout.unpack(raw);
            if indices.rate >= counts.rates
                || indices.destination >= counts.destinations
                || indices.terms >= counts.terms
            {
                return damaged(format!("rate record {index} is invalid"));
            }
        }
        Ok(())
    }

    /// Every dated version names a record.
    fn check_versions(&self) -> Checked<()> {
        let records = self.record_count();
        for index in 0..self.version_count() {
            let version = self.version(index);
            if version.is_none_or(|v| v.record as usize >= records) {
                return damaged(format!("dated version {index} names no record"));
            }
        }
        Ok(())
    }

    /// Reads the tariff entries: names and currencies in the strings section, names unique.
    fn read_tariffs(&mut self) -> Checked<()> {
        let count = self.sections.get(Section::Tariffs).len() / layout::tariff::LEN;
        let mut tariffs = Vec::with_capacity(count);
        let mut by_name = FxHashMap::with_capacity_and_hasher(count, Default::default());
        for index in 0..count {
            let Some(info) = self.tariff_entry(index) else {
                return damaged(format!("tariff entry {index} has an invalid name"));
            };
            if by_name.insert(info.name.clone(), index).is_some() {
                return damaged(format!("tariff \"{}\" appears twice", info.name));
            }
            tariffs.push(info);
        }
        self.tariffs = tariffs;
        self.by_name = by_name;
        Ok(())
    }

    fn tariff_entry(&self, index: usize) -> Option<TariffInfo> {
        let start = self
            .sections
            .get(Section::Tariffs)
            .start
            .checked_add(index.checked_mul(layout::tariff::LEN)?)?;
        let raw = self
            .backing
            .bytes()
            .get(start..start.checked_add(layout::tariff::LEN)?)?;
        let field = |at: usize| read_u32(raw, at).map(|v| v as usize);
        let text = |offset: usize, len: usize| {
            let bytes = self.string(field(offset)?, field(offset)?.checked_add(field(len)?)?)?;
            std::str::from_utf8(bytes).ok().map(str::to_owned)
        };
        Some(TariffInfo {
            name: text(layout::tariff::NAME_OFFSET, layout::tariff::NAME_LEN)?,
            currency: text(
                layout::tariff::CURRENCY_OFFSET,
                layout::tariff::CURRENCY_LEN,
            )?,
            prefixes: read_u32(raw, layout::tariff::PREFIXES)?,
            rows: read_u32(raw, layout::tariff::ROWS)?,
            root: None,
            dense: None,
        })
    }

    /// The index holds no more keys than the tariffs declare, and every tariff that declares
    /// prefixes has its subtree; resolves each tariff's root.
    fn check_index(&mut self) -> Checked<()> {
        let declared: u64 = self.tariffs.iter().map(|t| u64::from(t.prefixes)).sum();
        if self.fst.len() as u64 > declared {
            return damaged("fst index holds more keys than the tariffs declare");
        }
        let roots: Vec<_> = (0..self.tariffs.len())
            .map(|index| super::index::tariff_root(&self.fst, self.input_encoding, index as u16))
            .collect();
        for (info, root) in self.tariffs.iter_mut().zip(roots) {
            info.root = root;
            if info.root.is_none() && info.prefixes > 0 {
                return damaged(format!(
                    "tariff \"{}\" declares prefixes the index does not hold",
                    info.name
                ));
            }
        }
        Ok(())
    }
}

/// Sizes of the tables records point into.
#[derive(Debug, Clone, Copy)]
struct TableCounts {
    destinations: u32,
    rates: u32,
    terms: u32,
}

fn is_canonical(value: crate::money::Decimal) -> bool {
    let (units, scale) = (value.units(), value.scale());
    u32::from(scale) <= MAX_AMOUNT_DIGITS && (scale == 0 || units % 10 != 0)
}

/// The magic, and a length that matches the file. A file without the magic is not an
/// artifact, unless its length field matches its length: then it is one whose magic was
/// damaged.
fn check_preamble(bytes: &[u8]) -> Checked<()> {
    let found = bytes.len() as u64;
    let declared = read_u64(bytes, preamble::FILE_LEN);
    let magic = bytes.get(preamble::MAGIC..preamble::MAGIC + MAGIC.len());
    if magic != Some(MAGIC.as_slice()) {
        return if declared == Some(found) {
            damaged("the magic bytes are damaged")
        } else {
            Err(Refusal::NotAnArtifact)
        };
    }
    let Some(expected) = declared.filter(|_| bytes.len() >= preamble::LEN) else {
        return Err(Refusal::Truncated {
            found,
            expected: preamble::LEN as u64,
        });
    };
    if found < expected {
        return Err(Refusal::Truncated { found, expected });
    }
    if found > expected {
        return damaged(format!(
            "{found} bytes but the header says {expected}: trailing data, or a damaged length field"
        ));
    }
    Ok(())
}

/// The CRC-32 of the whole file matches the one stored.
fn check_checksum(bytes: &[u8]) -> Checked<()> {
    let stored = read_u32(bytes, preamble::CHECKSUM).unwrap_or(0);
    let actual = checksum(bytes);
    if stored != actual {
        return damaged(format!(
            "checksum mismatch (stored {stored:08x}, computed {actual:08x}); the file was damaged after compiling, compile or copy it again"
        ));
    }
    Ok(())
}

/// The format version, read only once the file is known to be intact.
fn check_version(bytes: &[u8]) -> Checked<()> {
    let version = read_u32(bytes, preamble::VERSION).unwrap_or(0);
    if version > FORMAT_VERSION {
        return Err(Refusal::TooNew(version));
    }
    if version < FORMAT_VERSION {
        return Err(Refusal::TooOld(version));
    }
    Ok(())
}

/// The header's length, the record layout and the section table: every section inside the
/// file, after the header.
fn read_header(bytes: &[u8]) -> Checked<(Sections, RecordLayout)> {
    if read_u32(bytes, preamble::HEADER_LEN) != Some(header::LEN as u32)
        || bytes.len() < header::LEN
    {
        return damaged("unexpected header length");
    }
    let mut raw_layout = [0u8; 4];
    raw_layout.copy_from_slice(&bytes[header::RECORD_LAYOUT..header::RECORD_LAYOUT + 4]);
    let Some(record_layout) = RecordLayout::from_header(raw_layout) else {
        return damaged("the record layout is invalid");
    };
    let mut sections = Sections::default();
    for (index, range) in sections.0.iter_mut().enumerate() {
        let at = header::SECTIONS + index * header::SECTION_ENTRY_LEN;
        let (Some(offset), Some(len)) = (read_u64(bytes, at), read_u64(bytes, at + 8)) else {
            return damaged("section table is unreadable");
        };
        let end = offset
            .checked_add(len)
            .filter(|&end| end <= bytes.len() as u64 && offset >= header::LEN as u64);
        let Some(end) = end else {
            return damaged(format!("section {index} lies outside the file"));
        };
        *range = offset as usize..end as usize;
    }
    debug_assert_eq!(sections.0.len(), SECTION_COUNT);
    Ok((sections, record_layout))
}

/// Each table section holds a whole number of entries.
fn check_whole_entries(sections: &Sections, record_layout: RecordLayout) -> Checked<()> {
    for (which, entry) in [
        (Section::Tariffs, layout::tariff::LEN),
        (Section::Records, record_layout.len()),
        (Section::Versions, layout::version::LEN),
        (Section::Rates, layout::rate::LEN),
        (Section::Terms, layout::terms::LEN),
        (Section::Destinations, layout::destination::OFFSET_LEN),
    ] {
        if !sections.get(which).len().is_multiple_of(entry) {
            return damaged(format!(
                "{which:?} section is not a whole number of entries"
            ));
        }
    }
    Ok(())
}

/// Opens the fst section, in the one fst format version Ratel's node reader knows.
fn open_index(
    backing: &Arc<Backing>,
    sections: &Sections,
) -> Checked<(fst::raw::Fst<FstBytes>, &'static [u8; 256])> {
    let range = sections.get(Section::Fst);
    let fst = match fst::raw::Fst::new(FstBytes {
        backing: Arc::clone(backing),
        start: range.start,
        end: range.end,
    }) {
        Ok(fst) => fst,
        Err(error) => return damaged(format!("fst index: {error}")),
    };
    // Ratel reads every node itself (bounds-checked); only the version it knows is allowed.
    let Some(encoding) = super::fst_node::input_encoding(fst.as_bytes()) else {
        return damaged("fst index is not in the format version this build reads (3)");
    };
    Ok((fst, encoding))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::artifact::ArtifactBuilder;
    use crate::input::ErrorList;
    use crate::money::Decimal;
    use crate::tariff::TariffRow;
    use crate::time::Timestamp;

    pub(crate) fn small_artifact() -> Vec<u8> {
        let mut builder = ArtifactBuilder::new();
        let tariff = builder.add_tariff("retail", "EUR", "t.csv", 1).unwrap();
        for (line, prefix) in ["370", "3706", "44", "447"].iter().enumerate() {
            builder.add_row(
                tariff,
                &TariffRow {
                    line: line as u64 + 2,
                    prefix: prefix.as_bytes(),
                    rate: Decimal::parse("0.987", false).unwrap(),
                    connection_fee: Decimal::parse(if line == 1 { "0.05" } else { "0" }, false)
                        .unwrap(),
                    increment_s: 60,
                    min_time_s: 0,
                    first_interval_s: 0,
                    destination: "Lithuania & more",
                    effective_from: (line == 3).then_some(Timestamp(0)),
                },
            );
        }
        builder.build(&mut ErrorList::new()).unwrap().0
    }

    /// A deck of a few hundred prefixes, some dated, in two tariffs.
    pub(crate) fn larger_artifact() -> Vec<u8> {
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
                        rate: Decimal::new(i128::from(i), 3),
                        connection_fee: Decimal::new(i128::from(i % 3), 2),
                        increment_s: 1 + i % 2,
                        min_time_s: 0,
                        first_interval_s: 0,
                        destination: ["Somewhere", "Elsewhere", "Ąžuolynė"][i as usize % 3],
                        effective_from: (i % 5 == 0).then_some(Timestamp(i64::from(i) * 86_400)),
                    },
                );
            }
        }
        builder.build(&mut ErrorList::new()).unwrap().0
    }

    /// Recomputes the checksum after a deliberate change.
    fn reseal(bytes: &mut [u8]) {
        let crc = checksum(bytes);
        bytes[preamble::CHECKSUM..preamble::CHECKSUM + 4].copy_from_slice(&crc.to_le_bytes());
    }

    fn with_version(version: u32) -> Vec<u8> {
        let mut bytes = small_artifact();
        bytes[preamble::VERSION..preamble::VERSION + 4].copy_from_slice(&version.to_le_bytes());
        reseal(&mut bytes);
        bytes
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
        assert_eq!(record.rate_f64(), 0.987);
        assert_eq!(record.rate.to_string(), "0.987");
        assert_eq!(record.connection_fee.to_string(), "0.05");
        assert_eq!(record.connection_fee_f64(), 0.05);
        assert_eq!(record.increment_s, 60);
        assert_eq!(artifact.record_count(), 2);
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
    fn every_changed_header_byte_reads_as_damage_never_as_another_version() {
        let bytes = small_artifact();
        for at in 0..header::LEN {
            for value in 0..=255u8 {
                if value == bytes[at] {
                    continue;
                }
                let mut changed = bytes.clone();
                changed[at] = value;
                let error = Artifact::from_bytes(changed).unwrap_err();
                assert!(error.is_damage(), "byte {at} set to {value}: {error}");
                let message = error.to_string();
                assert!(
                    !message.contains("newer") && !message.contains("recompile"),
                    "byte {at} set to {value}: {message}"
                );
            }
        }
    }

    #[test]
    fn an_intact_file_of_a_newer_version_says_newer() {
        let error = Artifact::from_bytes(with_version(FORMAT_VERSION + 1)).unwrap_err();
        assert!(
            matches!(error, ArtifactError::TooNew { found, .. } if found == FORMAT_VERSION + 1),
            "{error}"
        );
        assert!(error
            .to_string()
            .contains("is newer than this build reads (3)"));
        assert!(error.to_string().contains("upgrade Ratel"));
    }

    /// A version-1 artifact as Ratel 0.1's tariff-compile wrote it (`retail`, 4 rows).
    const VERSION_1_FILE: &[u8] = include_bytes!("testdata/v1.ratel");

    #[test]
    fn a_version_1_file_says_recompile() {
        let error = Artifact::from_bytes(VERSION_1_FILE.to_vec()).unwrap_err();
        assert!(
            matches!(error, ArtifactError::TooOld { found: 1, .. }),
            "{error}"
        );
        assert!(
            error.to_string().contains("recompile the tariffs"),
            "{error}"
        );
        let error = Artifact::from_bytes(with_version(0)).unwrap_err();
        assert!(
            matches!(error, ArtifactError::TooOld { found: 0, .. }),
            "{error}"
        );
        // Damage in a version-1 file is still damage.
        let mut damaged_v1 = VERSION_1_FILE.to_vec();
        damaged_v1[preamble::VERSION] ^= 0x04;
        assert!(Artifact::from_bytes(damaged_v1).unwrap_err().is_damage());
    }

    /// A version-2 artifact as Ratel 0.2's tariff-compile wrote it (`retail`, 4 rows), before
    /// the billing terms held a first interval.
    const VERSION_2_FILE: &[u8] = include_bytes!("testdata/v2.ratel");

    #[test]
    fn a_version_2_file_says_recompile() {
        let error = Artifact::from_bytes(VERSION_2_FILE.to_vec()).unwrap_err();
        assert!(
            matches!(error, ArtifactError::TooOld { found: 2, .. }),
            "{error}"
        );
        assert!(
            error
                .to_string()
                .contains("is no longer supported (this build reads 3)")
                && error.to_string().contains("recompile the tariffs"),
            "{error}"
        );
        let mut damaged_v2 = VERSION_2_FILE.to_vec();
        damaged_v2[preamble::LEN + 1] ^= 0x01;
        assert!(Artifact::from_bytes(damaged_v2).unwrap_err().is_damage());
    }

    #[test]
    fn a_damaged_magic_is_damage_and_another_file_is_not_an_artifact() {
        let mut bytes = small_artifact();
        bytes[0] = b'X';
        let error = Artifact::from_bytes(bytes).unwrap_err();
        assert!(
            error.to_string().contains("magic bytes are damaged"),
            "{error}"
        );
        let error =
            Artifact::from_bytes(b"prefix,rate\n1,0.5\n2,0.7\n3,0.9\n".to_vec()).unwrap_err();
        assert!(matches!(error, ArtifactError::BadMagic { .. }), "{error}");
    }

    #[test]
    fn an_fst_of_another_format_version_is_refused() {
        let mut bytes = small_artifact();
        let at = header::SECTIONS + Section::Fst as usize * header::SECTION_ENTRY_LEN;
        let fst_at = read_u64(&bytes, at).unwrap() as usize;
        bytes[fst_at..fst_at + 8].copy_from_slice(&2u64.to_le_bytes());
        reseal(&mut bytes);
        let error = Artifact::from_bytes(bytes).unwrap_err().to_string();
        assert!(
            error.contains("fst index is not in the format version this build reads (3)"),
            "{error}"
        );
    }

    #[test]
    fn a_record_pointing_past_a_table_is_refused() {
        let mut bytes = larger_artifact();
        let at = header::SECTIONS + Section::Records as usize * header::SECTION_ENTRY_LEN;
        let records_at = read_u64(&bytes, at).unwrap() as usize;
        // 300 rates take 9 bits: set them all, index 511.
        bytes[records_at] = 0xff;
        bytes[records_at + 1] |= 0x01;
        reseal(&mut bytes);
        let error = Artifact::from_bytes(bytes).unwrap_err().to_string();
        assert!(error.contains("rate record 0 is invalid"), "{error}");
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut bytes = small_artifact();
        bytes.extend_from_slice(b"junk");
        let error = Artifact::from_bytes(bytes).unwrap_err();
        assert!(error.to_string().contains("trailing data"), "{error}");
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
                // Mostly past the preamble: damage there is caught before the CRC.
                bytes[preamble::LEN + at % (len - preamble::LEN)] = value;
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
                for record in 0..artifact.record_count() as u32 + 2 {
                    let _ = artifact.record(record);
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
}
