//! Exact and longest-prefix matching of dialed digits against a tariff, at a point in time.
//!
//! The `fst` crate answers "is this key present" but has no longest-prefix query, and asking
//! once per prefix length would walk the same nodes up to twenty times. Instead the number is
//! walked once through the raw fst from the tariff's root, remembering the deepest final
//! state met; when that prefix has no rate in force at the requested time, the shorter ones
//! are gathered by walking again (rare: only dated rows can cause it).
//!
//! The walk itself, and the dense jump tables that start it four digits deep in large
//! tariffs, are the artifact's (`artifact::index`): this module asks, they answer.

mod dialing;
mod prefixes;

pub use dialing::NumberRules;
pub use prefixes::{DamagedIndex, InForce, PrefixRow, Prefixes, Slice, SLICE_DIGITS};

use crate::artifact::dense::{dense_index, DENSE_DIGITS, NO_NODE};
use crate::artifact::Artifact;
use crate::tariff::MAX_PREFIX_DIGITS;
use crate::time::Timestamp;

/// A matched prefix: its length in digits (the prefix is the number's first `prefix_len`
/// digits) and the rate record that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    pub prefix_len: u8,
    pub record: u32,
}

/// Final states met on one walk: (prefix length, fst value), shallowest first.
struct Candidates {
    items: [(u8, u64); MAX_PREFIX_DIGITS + 1],
    len: usize,
}

impl Candidates {
    #[inline]
    fn new() -> Candidates {
        Candidates {
            items: [(0, 0); MAX_PREFIX_DIGITS + 1],
            len: 0,
        }
    }

    #[inline]
    fn push(&mut self, depth: usize, value: u64) {
        if self.len < self.items.len() {
            self.items[self.len] = (depth as u8, value);
            self.len += 1;
        }
    }
}

impl Artifact {
    /// The longest prefix of `digits` (ASCII `0`-`9`; callers strip anything else and keep at
    /// most 20) that tariff `tariff` prices at time `at`.
    ///
    /// A prefix whose every version starts after `at` does not match, and a shorter one may.
    #[inline]
    pub fn longest_match(&self, tariff: usize, digits: &[u8], at: Timestamp) -> Option<Match> {
        let info = self.tariffs().get(tariff)?;
        let (root, root_out) = info.root?;
        // The common case needs only the deepest final state met: an undated prefix (or one
        // with a version in force) ends the search. Only when it has no version at `at` are
        // all the shorter ones gathered, by walking again.
        let mut deepest: Option<(u8, u64)> = None;
        let mut start = Some((root, root_out, 0usize));
        if let (Some(dense), Some(index)) = (&info.dense, dense_index(digits)) {
            let entry = dense.entry(index);
            if entry.best_len > 0 {
                deepest = Some((entry.best_len, u64::from(entry.best)));
            }
            start = (entry.addr != NO_NODE).then_some((
                entry.addr as usize,
                u64::from(entry.out),
                DENSE_DIGITS,
            ));
        }
        if let Some((addr, out, depth)) = start {
            self.walk(addr, out, depth, digits, |len, value| {
                deepest = Some((len as u8, value));
            });
        }
        let (len, value) = deepest?;
        match self.resolve(value, at) {
            Some(record) => Some(Match {
                prefix_len: len,
                record,
            }),
            None => self.longest_match_from_root(tariff, &digits[..usize::from(len) - 1], at),
        }
    }

    /// [`Artifact::longest_match`] without the dense table: every walk starts at the root.
    /// For benchmarks and tests that check the table changes speed, not answers.
    pub fn longest_match_from_root(
        &self,
        tariff: usize,
        digits: &[u8],
        at: Timestamp,
    ) -> Option<Match> {
        let (root, root_out) = self.tariffs().get(tariff)?.root?;
        let mut found = Candidates::new();
        self.walk(root, root_out, 0, digits, |len, value| {
            found.push(len, value)
        });
        found.items[..found.len]
            .iter()
            .rev()
            .find_map(|&(len, value)| {
                self.resolve(value, at).map(|record| Match {
                    prefix_len: len,
                    record,
                })
            })
    }

    /// The rate for exactly `prefix` in tariff `tariff` at time `at`.
    pub fn exact_match(&self, tariff: usize, prefix: &[u8], at: Timestamp) -> Option<Match> {
        let found = self.exact_in_force(tariff, prefix, at)?;
        Some(Match {
            prefix_len: prefix.len() as u8,
            record: found.record,
        })
    }

    /// The record an fst value points to at time `at`: its only record, or the newest dated
    /// version not after `at`.
    #[inline]
    fn resolve(&self, value: u64, at: Timestamp) -> Option<u32> {
        self.in_force(value, at).map(|row| row.record)
    }
}

/// The digits `rate_get` with `by_full_dst=1` and `tariff-lookup` match on: every non-digit
/// dropped, then the first 20 digits kept. Returns the filled part of `buffer`.
///
/// ```
/// let mut buffer = [0; 20];
/// assert_eq!(ratel_engine::lookup::dialed_digits(b"+370 (612) 34-567", &mut buffer), b"37061234567");
/// ```
pub fn dialed_digits<'b>(number: &[u8], buffer: &'b mut [u8; MAX_PREFIX_DIGITS]) -> &'b [u8] {
    let mut len = 0;
    for &byte in number {
        if byte.is_ascii_digit() {
            buffer[len] = byte;
            len += 1;
            if len == MAX_PREFIX_DIGITS {
                break;
            }
        }
    }
    &buffer[..len]
}

#[cfg(test)]
mod tests;
