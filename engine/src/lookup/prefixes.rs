//! A tariff's prefixes in order, each with the row in force at a time: what the deck tools
//! (`tariff-diff`, `tariff-lcr`) walk instead of looking every prefix up.
//!
//! The fst's keys are the tariff id (two bytes, big-endian) followed by the prefix's digits,
//! so one tariff's prefixes are one key range, streamed in byte order: a prefix comes just
//! before the prefixes that extend it ("1", "12", "123", "13"). That order lets several
//! tariffs be merged in one pass, and lets a walk keep, for each tariff, the stack of the
//! prefixes that are a prefix of the current one: its longest-prefix match, found without a
//! lookup.
//!
//! The key space is cut into [`Slice`]s (every prefix with the same first four digits, and
//! the shorter prefixes alone) so that workers can walk slices side by side and
//! still write them in order.

use crate::artifact::fst_node::{Node, NodeReader};
use crate::artifact::{Artifact, Target};
use crate::tariff::MAX_PREFIX_DIGITS;
use crate::time::Timestamp;

/// Digits of the stems the key space is cut at: small enough slices that a few in flight
/// (their output buffered) stay a few megabytes, few enough that starting each costs nothing.
pub const SLICE_DIGITS: usize = 4;

/// Slices in all: every stem of 1 to [`SLICE_DIGITS`] digits.
const SLICE_COUNT: usize = {
    let (mut count, mut power, mut digits) = (0, 1, 0);
    while digits < SLICE_DIGITS {
        power *= 10;
        count += power;
        digits += 1;
    }
    count
};

/// The row of one prefix in force at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InForce {
    /// The rate record.
    pub record: u32,
    /// When the row took effect; `None` for an undated row (in force from the start).
    pub since: Option<Timestamp>,
}

/// A walk of a tariff's prefixes stopped at a damaged index (a forged or corrupted artifact
/// whose checksum still holds): what it produced before is sound, the rest is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0}: the prefix index is damaged (the walk stopped; rebuild the artifact with tariff-compile)"
)]
pub struct DamagedIndex(pub String);

/// A prefix of a tariff with its row in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixRow {
    digits: [u8; MAX_PREFIX_DIGITS],
    len: u8,
    pub row: InForce,
}

impl PrefixRow {
    /// The prefix's digits (ASCII).
    #[inline]
    pub fn prefix(&self) -> &[u8] {
        &self.digits[..usize::from(self.len)]
    }

    fn new(prefix: &[u8], row: InForce) -> Option<PrefixRow> {
        let mut digits = [0; MAX_PREFIX_DIGITS];
        digits.get_mut(..prefix.len())?.copy_from_slice(prefix);
        Some(PrefixRow {
            digits,
            len: prefix.len() as u8,
            row,
        })
    }
}

/// A part of the key space: every prefix that starts with `stem` (a stem of
/// [`SLICE_DIGITS`] digits), or `stem` alone (a shorter stem).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    stem: [u8; SLICE_DIGITS],
    len: u8,
}

impl Slice {
    /// Every slice, in key order: together they hold every prefix of digits once.
    /// ("1", "10", "100", "1000…", "1001…", …, "1009…", "101", "1010…", …)
    pub fn all() -> Vec<Slice> {
        let mut slices = Vec::with_capacity(SLICE_COUNT);
        let mut stem = [0u8; SLICE_DIGITS];
        fn descend(stem: &mut [u8; SLICE_DIGITS], len: usize, slices: &mut Vec<Slice>) {
            for digit in b'0'..=b'9' {
                stem[len] = digit;
                slices.push(Slice {
                    stem: *stem,
                    len: (len + 1) as u8,
                });
                if len + 1 < SLICE_DIGITS {
                    descend(stem, len + 1, slices);
                }
            }
        }
        descend(&mut stem, 0, &mut slices);
        slices
    }

    /// The stem's digits.
    pub fn stem(&self) -> &[u8] {
        &self.stem[..usize::from(self.len)]
    }

    /// Whether the slice holds the prefixes extending its stem, not the stem alone.
    fn is_whole(&self) -> bool {
        usize::from(self.len) == SLICE_DIGITS
    }
}

/// One tariff's prefixes in a slice, in order, those without a row in force at the time
/// left out. A lending stream: rows are copied out (40 bytes).
///
/// The walk reads the index through the bounds-checked node reader, depth first, digits in
/// increasing order (the keys' order), and never deeper than a prefix can be. A damaged index
/// cannot make it panic or run forever: an unreadable node, or more work than a valid index
/// of the tariff's size could need, ends the stream and marks it [`Prefixes::is_damaged`].
pub struct Prefixes<'a> {
    artifact: &'a Artifact,
    reader: Option<NodeReader<'a>>,
    at: Timestamp,
    /// The stem's node, while its own row is still to be reported.
    stem: Option<(Node, u64)>,
    /// The path below the stem: each node, the output accumulated to it, and the next digit
    /// to try out of it.
    frames: Vec<(Node, u64, u8)>,
    /// The digits of the current path, stem included.
    key: [u8; MAX_PREFIX_DIGITS],
    stem_len: usize,
    /// Transitions the walk may still follow.
    budget: u64,
    damaged: bool,
}

impl std::fmt::Debug for Prefixes<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefixes")
            .field("at", &self.at)
            .field("stem", &&self.key[..self.stem_len])
            .finish()
    }
}

impl Prefixes<'_> {
    /// The next prefix with a row in force.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<PrefixRow> {
        let reader = self.reader?;
        if let Some((node, out)) = self.stem.take() {
            if let Some(row) = self.row_at(&reader, &node, out, self.stem_len) {
                return Some(row);
            }
        }
        loop {
            let depth = self.stem_len + self.frames.len().checked_sub(1)?;
            let (node, out, next) = self.frames.last_mut()?;
            let (node, out) = (*node, *out);
            let digit = match reader.next_input(&node, *next, b'9') {
                Some(digit) if depth < MAX_PREFIX_DIGITS && *next <= b'9' => digit,
                _ => {
                    self.frames.pop();
                    continue;
                }
            };
            *next = digit + 1;
            if self.budget == 0 {
                return self.damage();
            }
            self.budget -= 1;
            let Some((child, output)) = reader.transition(&node, digit) else {
                return self.damage();
            };
            let Some(child) = reader.node(child) else {
                return self.damage();
            };
            let out = out.wrapping_add(output);
            self.key[depth] = digit;
            self.frames.push((child, out, b'0'));
            if let Some(row) = self.row_at(&reader, &child, out, depth + 1) {
                return Some(row);
            }
            if self.damaged {
                return None;
            }
        }
    }

    /// Whether the walk stopped at a damaged index (every row before was read soundly).
    pub fn is_damaged(&self) -> bool {
        self.damaged
    }

    /// `Err` naming the artifact when the walk stopped at a damaged index.
    pub fn check(&self) -> Result<(), DamagedIndex> {
        match self.damaged {
            false => Ok(()),
            true => Err(DamagedIndex(self.artifact.path().display().to_string())),
        }
    }

    /// The row of the key `self.key[..len]`, whose node is `node` reached with output `out`,
    /// when the node is final and a row is in force.
    fn row_at(
        &mut self,
        reader: &NodeReader<'_>,
        node: &Node,
        out: u64,
        len: usize,
    ) -> Option<PrefixRow> {
        let Some(final_output) = reader.final_output(node) else {
            self.damage();
            return None;
        };
        let row = self
            .artifact
            .in_force(out.wrapping_add(final_output?), self.at)?;
        PrefixRow::new(&self.key[..len], row)
    }

    fn damage(&mut self) -> Option<PrefixRow> {
        self.damaged = true;
        self.frames.clear();
        None
    }
}

impl Artifact {
    /// Tariff `tariff`'s prefixes in `slice` with a row in force at `at`, in order; nothing
    /// for an unknown tariff.
    pub fn prefixes(&self, tariff: usize, slice: Slice, at: Timestamp) -> Prefixes<'_> {
        let mut prefixes = Prefixes {
            artifact: self,
            reader: None,
            at,
            stem: None,
            frames: Vec::new(),
            key: [0; MAX_PREFIX_DIGITS],
            stem_len: slice.stem().len(),
            budget: 0,
            damaged: false,
        };
        prefixes.key[..prefixes.stem_len].copy_from_slice(slice.stem());
        let Some(info) = self.tariffs().get(tariff) else {
            return prefixes;
        };
        let Some((root, root_out)) = info.root else {
            return prefixes;
        };
        let reader = NodeReader::new(self.fst.as_bytes(), self.input_encoding);
        // A valid index needs at most one transition a digit of each prefix, ten tries a
        // node: anything beyond is damage.
        prefixes.budget = (u64::from(info.prefixes) + 1) * (MAX_PREFIX_DIGITS as u64 + 1) * 10;
        prefixes.reader = Some(reader);
        let Some((addr, out)) = self.walk(root, root_out, 0, slice.stem(), |_, _| {}) else {
            return prefixes; // no prefix starts with the stem
        };
        let Some(node) = reader.node(addr) else {
            prefixes.damaged = true;
            return prefixes;
        };
        prefixes.stem = Some((node, out));
        if slice.is_whole() {
            prefixes.frames.push((node, out, b'0'));
        }
        prefixes
    }

    /// The proper prefixes of `stem` (shortest first) that tariff `tariff` holds with a row
    /// in force at `at`: what a walk of a slice starts from.
    pub fn ancestors(&self, tariff: usize, slice: Slice, at: Timestamp) -> Vec<PrefixRow> {
        let stem = slice.stem();
        (1..stem.len())
            .filter_map(|len| {
                let found = self.exact_in_force(tariff, &stem[..len], at)?;
                PrefixRow::new(&stem[..len], found)
            })
            .collect()
    }

    /// The row in force at `at` for exactly `prefix`, with its date.
    pub fn exact_in_force(&self, tariff: usize, prefix: &[u8], at: Timestamp) -> Option<InForce> {
        let (root, root_out) = self.tariffs().get(tariff)?.root?;
        if prefix.is_empty() || prefix.len() > MAX_PREFIX_DIGITS {
            return None;
        }
        let (addr, out) = self.walk(root, root_out, 0, prefix, |_, _| {})?;
        self.in_force(self.final_value(addr, out)?, at)
    }

    /// The row an fst value points to at time `at`, with its date: its only record, or the
    /// newest dated version not after `at`.
    #[inline]
    pub(crate) fn in_force(&self, value: u64, at: Timestamp) -> Option<InForce> {
        match Target::from_value(value)? {
            Target::Record(record) => Some(InForce {
                record,
                since: None,
            }),
            Target::Versions(start) => {
                // Indices come from the index: read through checked accessors, so that a
                // damaged one is "no row".
                let count = self.version(start)?.group_len as usize;
                (start..start.checked_add(count)?)
                    .map(|i| self.version(i))
                    .find(|version| version.is_none_or(|v| v.effective_from <= at.0))?
                    .map(|version| InForce {
                        record: version.record,
                        since: (version.effective_from != i64::MIN)
                            .then_some(Timestamp(version.effective_from)),
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests;
