//! The index's own structure, below every query: walking the fst a digit at a time (read by
//! `fst_node`, which decodes only the one transition and the final flag a walk needs; the
//! crate's general node decoder is the test reference), each tariff's root, and the dense
//! jump tables built at load: for each of the 10^4 four-digit starts of a large tariff, the
//! node reached, the output accumulated and the deepest final state passed (16 bytes an
//! entry, 160 KB a tariff, small enough to stay in L2). `lookup` answers queries with them.

use super::dense::{
    DenseEntry, DenseTable, DENSE_DIGITS, DENSE_ENTRIES, DENSE_MIN_PREFIXES, NO_NODE,
};
use super::fst_node::NodeReader;
use super::{Artifact, FstBytes, TariffInfo};

impl Artifact {
    /// Follows `digits[depth..]` from node `addr` (reached with output `out`), calling
    /// `on_final(prefix length, fst value)` at each final state, shallowest first. Returns the
    /// node and output reached after the last digit, or `None` when the walk left the fst.
    #[inline]
    pub(crate) fn walk(
        &self,
        addr: usize,
        mut out: u64,
        depth: usize,
        digits: &[u8],
        mut on_final: impl FnMut(usize, u64),
    ) -> Option<(usize, u64)> {
        let walker = NodeReader::new(self.fst.as_bytes(), self.input_encoding);
        let (mut addr, mut node) = (addr, walker.node(addr)?);
        for (offset, &byte) in digits.iter().enumerate().skip(depth) {
            let (next, output) = walker.transition(&node, byte)?;
            // Valid outputs never overflow; a damaged index must not panic either.
            out = out.wrapping_add(output);
            addr = next;
            node = walker.node(addr)?;
            if let Some(final_output) = walker.final_output(&node)? {
                on_final(offset + 1, out.wrapping_add(final_output));
            }
        }
        Some((addr, out))
    }

    /// [`Artifact::walk`] through the `fst` crate's general node API: the reference the node
    /// reader is tested against.
    #[cfg(test)]
    pub(crate) fn walk_with_crate(
        &self,
        addr: usize,
        mut out: u64,
        depth: usize,
        digits: &[u8],
        mut on_final: impl FnMut(usize, u64),
    ) -> Option<(usize, u64)> {
        let mut node = self.fst.node(addr);
        for (offset, &byte) in digits.iter().enumerate().skip(depth) {
            let transition = node.transition(node.find_input(byte)?);
            out += transition.out.value();
            node = self.fst.node(transition.addr);
            if node.is_final() {
                on_final(offset + 1, out + node.final_output().value());
            }
        }
        Some((node.addr(), out))
    }

    /// The fst value of the node at `addr` when it is final.
    pub(crate) fn final_value(&self, addr: usize, out: u64) -> Option<u64> {
        let reader = NodeReader::new(self.fst.as_bytes(), self.input_encoding);
        reader
            .final_output(&reader.node(addr)?)?
            .map(|final_output| out.wrapping_add(final_output))
    }
}

/// The node after a tariff's two id bytes, and the output accumulated to it; `None` for a
/// tariff with no rows. Read with the bounds-checked node reader, so that loading a damaged
/// index fails cleanly instead of panicking.
pub(crate) fn tariff_root(
    fst: &fst::raw::Fst<FstBytes>,
    encoding: &[u8; 256],
    tariff: u16,
) -> Option<(usize, u64)> {
    let reader = NodeReader::new(fst.as_bytes(), encoding);
    let (mut addr, mut output) = (reader.root_addr()?, 0u64);
    for byte in tariff.to_be_bytes() {
        let (next, out) = reader.transition(&reader.node(addr)?, byte)?;
        addr = next;
        output = output.wrapping_add(out);
    }
    Some((addr, output))
}

/// Builds the dense tables of every large tariff (called once per load).
pub(crate) fn build_dense_tables(artifact: &mut Artifact) {
    let tables: Vec<Option<DenseTable>> = artifact
        .tariffs()
        .iter()
        .map(|info| dense_table(artifact, info))
        .collect();
    for (info, table) in artifact.tariffs_mut().iter_mut().zip(tables) {
        info.dense = table;
    }
}

fn dense_table(artifact: &Artifact, info: &TariffInfo) -> Option<DenseTable> {
    let (root, root_out) = info.root?;
    if info.prefixes < DENSE_MIN_PREFIXES {
        return None;
    }
    // Level by level: each string of k+1 digits extends the walk of its k-digit parent by
    // one digit, so the 10^4 entries cost 11,110 one-digit steps instead of 40,000 (a
    // reload of a 1M-row deck spent most of its instructions here).
    // Per string: the node and output reached (None: the walk left the fst), and the
    // longest final state passed (prefix length, fst value).
    type State = (Option<(usize, u64)>, Option<(u8, u64)>);
    let mut level: Vec<State> = vec![(Some((root, root_out)), None)];
    for depth in 0..DENSE_DIGITS {
        let mut next = Vec::with_capacity(level.len() * 10);
        for &(reached, best) in &level {
            for digit in b'0'..=b'9' {
                let Some((addr, out)) = reached else {
                    next.push((None, best));
                    continue;
                };
                let mut best = best;
                let reached = artifact.walk(addr, out, 0, &[digit], |_, value| {
                    best = Some((depth as u8 + 1, value));
                });
                next.push((reached, best));
            }
        }
        level = next;
    }
    let mut entries = Vec::with_capacity(DENSE_ENTRIES);
    for (reached, best) in level {
        let mut entry = DenseEntry {
            addr: NO_NODE,
            out: 0,
            best: 0,
            best_len: 0,
        };
        if let Some((len, value)) = best {
            entry.best = u32::try_from(value).ok()?;
            entry.best_len = len;
        }
        if let Some((addr, out)) = reached {
            entry.addr = u32::try_from(addr).ok().filter(|&a| a != NO_NODE)?;
            entry.out = u32::try_from(out).ok()?;
        }
        entries.push(entry);
    }
    Some(DenseTable::new(entries.into_boxed_slice()))
}
