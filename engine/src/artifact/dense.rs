//! A large tariff's dense jump table: for each of the 10^4 four-digit starts, the fst node
//! reached, the output accumulated and the deepest final state passed (16 bytes an entry,
//! 160 KB a tariff, small enough to stay in L2). Built at load by `index`, kept with the
//! tariff by `map`, read by every longest-prefix match.

/// Digits the dense table resolves at once.
pub(crate) const DENSE_DIGITS: usize = 4;
/// Entries in a dense table: every string of [`DENSE_DIGITS`] digits.
pub(crate) const DENSE_ENTRIES: usize = 10usize.pow(DENSE_DIGITS as u32);
/// Tariffs smaller than this are walked from the root (a table would cost more than it saves).
pub(crate) const DENSE_MIN_PREFIXES: u32 = 2_048;
/// `addr` of a dense entry whose four digits leave the fst before the fourth.
pub(crate) const NO_NODE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
pub(crate) struct DenseEntry {
    /// fst node after the four digits, or [`NO_NODE`].
    pub(crate) addr: u32,
    /// Output accumulated along the four transitions.
    pub(crate) out: u32,
    /// fst value of the deepest final state among the first four digits.
    pub(crate) best: u32,
    /// Its length in digits; 0 when none.
    pub(crate) best_len: u8,
}

/// The first-digits jump table of one tariff.
#[derive(Debug)]
pub(crate) struct DenseTable {
    entries: Box<[DenseEntry]>,
}

impl DenseTable {
    pub(crate) fn new(entries: Box<[DenseEntry]>) -> DenseTable {
        DenseTable { entries }
    }

    /// The entry of the four-digit start `index` (see [`dense_index`]).
    #[inline]
    pub(crate) fn entry(&self, index: usize) -> DenseEntry {
        self.entries[index]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.entries)
    }
}

/// The dense-table index of the first four digits, when there are four and they are digits.
#[inline]
pub(crate) fn dense_index(digits: &[u8]) -> Option<usize> {
    let head = digits.get(..DENSE_DIGITS)?;
    let mut index = 0usize;
    for &byte in head {
        let digit = byte.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        index = index * 10 + usize::from(digit);
    }
    Some(index)
}
