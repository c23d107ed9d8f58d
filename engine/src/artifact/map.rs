//! Mapping an artifact file, and reading it once verified.
//!
//! `Artifact::open` refuses anything but a regular file (a FIFO, device or directory is
//! refused at once, without blocking), copies the file into a private unlinked file, at most
//! the size it had when opened, and maps that read-only, so in-place edits of the original
//! cannot reach a running server. `verify` then checks the bytes before anything reads
//! them. After that, reads are bounds-checked slices of the map through the accessors
//! below (the only code that knows where a field sits is [`super::layout`]), so a file that
//! changes under us can give a wrong answer at worst, never undefined behaviour from our
//! side. The fst and records are never copied into the heap.

use rustc_hash::FxHashMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::dense::DenseTable;
use super::layout;
use super::{read_i64, read_u32, RecordLayout, FORMAT_VERSION};
use crate::files::OpenError;
use crate::money::Decimal;

/// Why an artifact was refused.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("{path}: cannot read the artifact: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: the artifact must be a regular file, not {kind}")]
    NotAFile { path: String, kind: &'static str },
    #[error("{path}: the artifact changed while being read ({expected} bytes when opened, {found} read); try again once it is written")]
    ChangedWhileReading {
        path: String,
        expected: u64,
        found: u64,
    },
    #[error(
        "{path}: not a Ratel tariff artifact (bad magic bytes); compile it with tariff-compile"
    )]
    BadMagic { path: String },
    #[error("{path}: artifact format version {found} is newer than this build reads ({FORMAT_VERSION}); upgrade Ratel or recompile the tariffs with this version")]
    TooNew { path: String, found: u32 },
    #[error("{path}: artifact format version {found} is no longer supported (this build reads {FORMAT_VERSION}); recompile the tariffs with this version's tariff-compile")]
    TooOld { path: String, found: u32 },
    #[error("{path}: artifact is truncated (damaged or copied incompletely): {found} bytes, the header says {expected}")]
    Truncated {
        path: String,
        found: u64,
        expected: u64,
    },
    #[error("{path}: artifact is damaged: {what}")]
    Corrupt { path: String, what: String },
}

impl ArtifactError {
    /// Whether the file was refused as damaged (truncated, or failing a check), as opposed
    /// to unreadable, not an artifact, or of another format version.
    pub fn is_damage(&self) -> bool {
        matches!(
            self,
            ArtifactError::Truncated { .. } | ArtifactError::Corrupt { .. }
        )
    }
}

/// The bytes behind an artifact: a read-only map of the file, or an owned buffer (tests,
/// freshly built decks). Shared so that the fst can hold its own handle.
#[derive(Debug)]
pub(super) enum Backing {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Backing {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mapped(map) => map,
            Backing::Owned(bytes) => bytes,
        }
    }
}

/// The fst section of a backing, as the `fst` crate wants its data.
#[derive(Debug, Clone)]
pub struct FstBytes {
    pub(super) backing: Arc<Backing>,
    pub(super) start: usize,
    pub(super) end: usize,
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

/// A rate record: exact decimals for arithmetic (their nearest `f64`, for printing the way
/// MOR does, is derived on demand: [`RateRecord::rate_f64`]), and the destination name's
/// bytes (UTF-8, verified at load).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRecord<'a> {
    pub rate: Decimal,
    pub connection_fee: Decimal,
    pub destination: &'a [u8],
    pub increment_s: u32,
    pub min_time_s: u32,
    /// The `FIRST` of a deck's `FIRST/NEXT` (then `increment_s` is `NEXT`); 0: none.
    pub first_interval_s: u32,
}

impl RateRecord<'_> {
    /// The rate per minute's nearest `f64`, as MOR prints it. Derived when asked, not at
    /// every record read: the tools that print exact decimals never pay for it.
    pub fn rate_f64(&self) -> f64 {
        self.rate.to_f64()
    }

    /// The connection fee's nearest `f64`, as MOR prints it.
    pub fn connection_fee_f64(&self) -> f64 {
        self.connection_fee.to_f64()
    }
}

/// One entry of the versions section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    /// Unix seconds; `i64::MIN` for an undated row.
    pub effective_from: i64,
    pub record: u32,
    /// Entries in the group, in a group's first entry; 0 in the others.
    pub group_len: u32,
}

/// Where each section lies in the backing.
#[derive(Debug, Clone, Default)]
pub(super) struct Sections(pub(super) [std::ops::Range<usize>; layout::SECTION_COUNT]);

impl Sections {
    pub(super) fn get(&self, section: layout::Section) -> std::ops::Range<usize> {
        self.0[section as usize].clone()
    }
}

/// A verified, memory-mapped artifact.
pub struct Artifact {
    pub(super) backing: Arc<Backing>,
    pub(crate) fst: fst::raw::Fst<FstBytes>,
    pub(super) tariffs: Vec<TariffInfo>,
    pub(super) by_name: FxHashMap<String, usize>,
    pub(super) sections: Sections,
    pub(super) record_layout: RecordLayout,
    pub(super) path: PathBuf,
    /// How the lookup's node reader decodes this fst's inputs.
    pub(crate) input_encoding: &'static [u8; 256],
    /// Whether any billing terms hold a first interval (found when verified).
    pub(super) first_intervals: bool,
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

/// Copies exactly `size` bytes of `source` into `target`. Fewer (the file shrank) or more
/// (it grew while being read) is an error carrying how many were found, at most `size + 1`.
fn copy_exactly(source: impl Read, size: u64, mut target: impl Write) -> Result<(), CopyError> {
    let mut limited = source.take(size.saturating_add(1));
    let copied = std::io::copy(&mut limited, &mut target).map_err(CopyError::Io)?;
    if copied != size {
        return Err(CopyError::Size(copied));
    }
    target.flush().map_err(CopyError::Io)
}

#[derive(Debug)]
enum CopyError {
    Io(std::io::Error),
    Size(u64),
}

impl Artifact {
    /// Maps and verifies the artifact at `path`, which must be a regular file (or a symbolic
    /// link to one).
    pub fn open(path: &Path) -> Result<Artifact, ArtifactError> {
        let shown = path.display().to_string();
        let io = |source| ArtifactError::Io {
            path: shown.clone(),
            source,
        };
        // Never a blocking open: a FIFO is refused at once (see `files`).
        let (source, metadata) = match crate::files::open_regular(path) {
            Ok(opened) => opened,
            Err(OpenError::Io(error)) => return Err(io(error)),
            Err(OpenError::NotRegular(kind)) => {
                return Err(ArtifactError::NotAFile { path: shown, kind })
            }
        };
        // The map is of a private copy: an operator who truncates or rewrites the file in
        // place (instead of renaming a new one over it, as tariff-compile does) must not be
        // able to change, or fault with SIGBUS, the data a running server is answering from.
        // The copy holds exactly the size the file had when opened.
        let size = metadata.len();
        let mut private = tempfile::tempfile().map_err(io)?;
        copy_exactly(&source, size, &mut private).map_err(|error| match error {
            CopyError::Io(source) => io(source),
            CopyError::Size(found) => ArtifactError::ChangedWhileReading {
                path: shown.clone(),
                expected: size,
                found,
            },
        })?;
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
        self.sections.get(layout::Section::Records).len() / self.record_layout.len()
    }

    /// The bytes of entry `index` of `section`, entries being `len` bytes; `None` past the
    /// section's end.
    #[inline]
    fn entry(&self, section: layout::Section, index: usize, len: usize) -> Option<&[u8]> {
        let range = self.sections.get(section);
        let start = range.start.checked_add(index.checked_mul(len)?)?;
        let end = start.checked_add(len)?;
        if end > range.end {
            return None;
        }
        self.backing.bytes().get(start..end)
    }

    /// Rate record number `index`, or `None` past the end.
    #[inline]
    pub fn record(&self, index: u32) -> Option<RateRecord<'_>> {
        let raw = self.entry(
            layout::Section::Records,
            index as usize,
            self.record_layout.len(),
        )?;
        let indices = self.record_layout.unpack(raw);
        let rate = self.rate(indices.rate)?;
        let (connection_fee, increment_s, min_time_s, first_interval_s) =
            self.terms(indices.terms)?;
        Some(RateRecord {
            rate,
            connection_fee,
            destination: self.destination(indices.destination)?,
            increment_s,
            min_time_s,
            first_interval_s,
        })
    }

    /// The rate per minute of record number `index` alone (no destination, terms or
    /// printing form decoded), or `None` past the end: what rankings compare.
    #[inline]
    pub fn record_rate(&self, index: u32) -> Option<Decimal> {
        let raw = self.entry(
            layout::Section::Records,
            index as usize,
            self.record_layout.len(),
        )?;
        self.rate(self.record_layout.unpack(raw).rate)
    }

    /// Entry `index` of the rates table.
    #[inline]
    pub(super) fn rate(&self, index: u32) -> Option<Decimal> {
        let raw = self.entry(layout::Section::Rates, index as usize, layout::rate::LEN)?;
        Some(Decimal::from_canonical(
            read_i64(raw, layout::rate::UNITS)?,
            *raw.get(layout::rate::SCALE)?,
        ))
    }

    /// Whether any row of any tariff has a first interval (a deck's `FIRST/NEXT`): the
    /// tools print a `first_interval_s` column only then.
    #[inline]
    pub fn has_first_intervals(&self) -> bool {
        self.first_intervals
    }

    /// Entry `index` of the terms table: connection fee, increment, minimum time, first
    /// interval (0: none).
    #[inline]
    pub(super) fn terms(&self, index: u32) -> Option<(Decimal, u32, u32, u32)> {
        let raw = self.entry(layout::Section::Terms, index as usize, layout::terms::LEN)?;
        let fee = Decimal::from_canonical(
            read_i64(raw, layout::terms::FEE_UNITS)?,
            *raw.get(layout::terms::FEE_SCALE)?,
        );
        Some((
            fee,
            read_u32(raw, layout::terms::INCREMENT)?,
            read_u32(raw, layout::terms::MIN_TIME)?,
            read_u32(raw, layout::terms::FIRST_INTERVAL)?,
        ))
    }

    /// Destination number `index`'s bytes: from its offset to the next one.
    #[inline]
    pub(super) fn destination(&self, index: u32) -> Option<&[u8]> {
        let offset = |i: usize| {
            let raw = self.entry(
                layout::Section::Destinations,
                i,
                layout::destination::OFFSET_LEN,
            )?;
            usize::try_from(read_u32(raw, 0)?).ok()
        };
        let index = index as usize;
        self.string(offset(index)?, offset(index.checked_add(1)?)?)
    }

    /// Bytes `start..end` of the strings section.
    #[inline]
    pub(super) fn string(&self, start: usize, end: usize) -> Option<&[u8]> {
        let strings = self.sections.get(layout::Section::Strings);
        let (start, end) = (
            strings.start.checked_add(start)?,
            strings.start.checked_add(end)?,
        );
        if start > end || end > strings.end {
            return None;
        }
        self.backing.bytes().get(start..end)
    }

    /// Entry `index` of the versions section, or `None` past its end.
    #[inline]
    pub(crate) fn version(&self, index: usize) -> Option<Version> {
        let raw = self.entry(layout::Section::Versions, index, layout::version::LEN)?;
        Some(Version {
            effective_from: read_i64(raw, layout::version::EFFECTIVE_FROM)?,
            record: read_u32(raw, layout::version::RECORD)?,
            group_len: read_u32(raw, layout::version::GROUP_LEN)?,
        })
    }

    /// Entries in the versions section.
    pub(super) fn version_count(&self) -> usize {
        self.sections.get(layout::Section::Versions).len() / layout::version::LEN
    }
}

#[cfg(test)]
mod tests;
