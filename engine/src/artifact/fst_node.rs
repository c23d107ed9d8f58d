//! A reader of the `fst` crate's node bytes (format version 3), specialised to walking one
//! key byte at a time.
//!
//! The crate's `Node::new` decodes everything a node holds (its end, its final output, its
//! transition count) to serve any query; a walk needs one transition and one flag per level,
//! and measured about 200 instructions a level through the general path. This reader decodes
//! only that, and never panics: the crate's decoder trusts its bytes, this one checks every
//! read, so even a forged artifact (valid CRC, damaged index) cannot bring Ratel down. Layout
//! facts (written by `fst::raw::Builder`, read back the same way):
//!
//! - address 0 is the empty final node (no transitions, final, output 0);
//! - a node is read backwards from its address, which holds its state byte; the top two bits
//!   say `11` one transition to the node written just before it (output 0, never final), `10`
//!   one transition with an explicit target and output (never final), `0F` any number of
//!   transitions, `F` the final flag;
//! - single-transition states keep their input in the low six bits as an index into the
//!   crate's table of common bytes (0: the byte follows, at address − 1). The index of every
//!   byte is learned from the crate itself at first use (one small set), not copied;
//! - a target is stored as a delta below the node's lowest byte (0 meaning address 0).
//!
//! Every byte is read through `get` and every offset with checked arithmetic, so a damaged
//! index yields "no transition", never a panic. `Artifact` uses this reader only when the
//! fst says version 3, and tests hold it equal to the crate's own walk on random decks.

use std::sync::OnceLock;

/// The fst format version this reader understands.
pub(crate) const READABLE_VERSION: u64 = 3;

/// The bits of a state byte and a sizes byte, as `fst::raw::node` writes them.
mod bits {
    /// The state byte's top two bits say the node's kind.
    pub const KIND_SHIFT: u32 = 6;
    /// Kind `11`: one transition to the node written just before (output 0, not final).
    pub const ONE_TRANS_NEXT: u8 = 0b11;
    /// Kind `10`: one transition with an explicit target and output (not final).
    pub const ONE_TRANS: u8 = 0b10;
    /// The top bit alone: set for both one-transition kinds.
    pub const ONE_TRANS_FLAG: u8 = 0b1000_0000;
    /// In a many-transition state (`0F`): the final flag.
    pub const ANY_FINAL: u8 = 0b0100_0000;
    /// The low six bits: a one-transition state's common-input index (0: the input byte
    /// follows), or a many-transition state's count (0: the count byte follows).
    pub const LOW_SIX: u8 = 0b0011_1111;
    /// A sizes byte holds the target size in its high nibble, the output size in its low.
    pub const NIBBLE_SHIFT: u32 = 4;
    pub const LOW_NIBBLE: u8 = 0x0f;
    /// A count byte of 1 is never written for a count, so it stands for 256.
    pub const COUNT_256: u8 = 1;
    /// Nodes of more than this many transitions carry an input index.
    pub const INDEXED_ABOVE: usize = 32;
    /// Bytes of that index: one per input byte.
    pub const INDEX_LEN: usize = 256;
}

use bits::*;

/// A sizes byte's (target size, output size).
#[inline(always)]
fn sizes(byte: u8) -> (usize, usize) {
    (
        usize::from(byte >> NIBBLE_SHIFT),
        usize::from(byte & LOW_NIBBLE),
    )
}

/// For every byte, the common-input index a single-transition state stores for it (0 when
/// the byte is not a common input and follows the state byte instead).
///
/// Learned from one set of the 256 keys `[b, b]`: each of the root's transitions leads to a
/// node with a single non-final transition on `b`, whose state byte holds `b`'s index.
fn common_indices() -> Option<&'static [u8; 256]> {
    static INDICES: OnceLock<Option<[u8; 256]>> = OnceLock::new();
    INDICES
        .get_or_init(|| {
            let fst = fst::raw::Fst::from_iter_set((0..=255u8).map(|b| [b, b])).ok()?;
            let root = fst.root();
            if root.len() != 256 {
                return None;
            }
            let mut indices = [0u8; 256];
            for transition in root.transitions() {
                let state = *fst.as_bytes().get(transition.addr)?;
                if state & ONE_TRANS_FLAG == 0 {
                    return None;
                }
                indices[usize::from(transition.inp)] = state & LOW_SIX;
            }
            Some(indices)
        })
        .as_ref()
}

/// Reads the nodes of one fst, one key byte at a time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeReader<'a> {
    data: &'a [u8],
    indices: &'a [u8; 256],
}

/// The input encoding to read `fst_bytes` with, or `None` when this reader does not know its
/// version or could not learn the encoding (the crate's own walk is used then).
pub(crate) fn input_encoding(fst_bytes: &[u8]) -> Option<&'static [u8; 256]> {
    let version = u64::from_le_bytes(fst_bytes.get(..8)?.try_into().ok()?);
    if version != READABLE_VERSION {
        return None;
    }
    common_indices()
}

impl<'a> NodeReader<'a> {
    /// A reader over `data` (a whole fst) with the encoding [`input_encoding`] gave.
    #[inline(always)]
    pub(crate) fn new(data: &'a [u8], indices: &'a [u8; 256]) -> NodeReader<'a> {
        NodeReader { data, indices }
    }

    /// The root node's address, from the fst's trailer: `root address u64, checksum u32`.
    pub(crate) fn root_addr(&self) -> Option<usize> {
        let end = self.data.len().checked_sub(4)?;
        let at = end.checked_sub(8)?;
        usize::try_from(self.uint(at, 8)?).ok()
    }

    #[inline(always)]
    fn byte(&self, at: usize) -> Option<u8> {
        self.data.get(at).copied()
    }

    /// Little-endian unsigned integer of `size` bytes (0–8) at `at`.
    #[inline(always)]
    fn uint(&self, at: usize, size: usize) -> Option<u64> {
        let bytes = self.data.get(at..at.checked_add(size)?)?;
        // One 8-byte load, the bytes past `size` masked off, where 8 bytes are there to read
        // (all but the fst's last few bytes); byte by byte otherwise.
        if let (Some(word), 1..=8) = (self.data.get(at..at.wrapping_add(8)), size) {
            let word = u64::from_le_bytes(word.try_into().ok()?);
            return Some(word & (u64::MAX >> (64 - 8 * size)));
        }
        Some(
            bytes
                .iter()
                .rev()
                .fold(0u64, |value, &b| (value << 8) | u64::from(b)),
        )
    }

    /// Decodes the node at `addr` once: what a walk asks of it next (its final output, then
    /// one transition) reads from this.
    #[inline(always)]
    pub(crate) fn node(&self, addr: usize) -> Option<Node> {
        if addr == 0 {
            return Some(Node::EmptyFinal);
        }
        let state = self.byte(addr)?;
        if state & ONE_TRANS_FLAG != 0 {
            return Some(Node::Single { addr, state });
        }
        Some(Node::Any(AnyTrans::read(self, addr, state)?))
    }

    /// The node's final output, or `None` (inside `Some`) when it is not final.
    #[inline(always)]
    pub(crate) fn final_output(&self, node: &Node) -> Option<Option<u64>> {
        match node {
            Node::EmptyFinal => Some(Some(0)),
            Node::Single { .. } => Some(None),
            Node::Any(any) if !any.is_final => Some(None),
            Node::Any(any) if any.osize == 0 => Some(Some(0)),
            Node::Any(any) => {
                let at = any.outputs_base()?.checked_sub(any.osize)?;
                Some(Some(self.uint(at, any.osize)?))
            }
        }
    }

    /// Follows input byte `input` out of `node`: the target address and the transition's
    /// output, or `None` when the node has no such transition.
    #[inline(always)]
    pub(crate) fn transition(&self, node: &Node, input: u8) -> Option<(usize, u64)> {
        match *node {
            Node::EmptyFinal => None,
            Node::Single { addr, state } => {
                let index = state & LOW_SIX;
                let input_len = usize::from(index == 0);
                let matches = if index == 0 {
                    self.byte(addr.checked_sub(1)?)? == input
                } else {
                    self.indices[usize::from(input)] == index
                };
                if !matches {
                    return None;
                }
                if state >> KIND_SHIFT == ONE_TRANS_NEXT {
                    // The target is the node written just before this one.
                    return Some((addr.checked_sub(input_len + 1)?, 0));
                }
                let sizes_at = addr.checked_sub(input_len + 1)?;
                debug_assert_eq!(state >> KIND_SHIFT, ONE_TRANS);
                let (tsize, osize) = sizes(self.byte(sizes_at)?);
                let target_at = sizes_at.checked_sub(tsize)?;
                let output_at = target_at.checked_sub(osize)?;
                let delta = self.uint(target_at, tsize)?;
                let output = if osize == 0 {
                    0
                } else {
                    self.uint(output_at, osize)?
                };
                Some((target(output_at, delta)?, output))
            }
            Node::Any(any) => {
                let i = any.find(self, input)?;
                let delta =
                    self.uint(any.inputs_base.checked_sub((i + 1) * any.tsize)?, any.tsize)?;
                let output = if any.osize == 0 {
                    0
                } else {
                    let at = any.addresses_base()?.checked_sub((i + 1) * any.osize)?;
                    self.uint(at, any.osize)?
                };
                Some((target(any.end()?, delta)?, output))
            }
        }
    }
}

impl NodeReader<'_> {
    /// The smallest input byte in `from..=to` that `node` has a transition for.
    pub(crate) fn next_input(&self, node: &Node, from: u8, to: u8) -> Option<u8> {
        match *node {
            Node::EmptyFinal => None,
            Node::Single { addr, state } => {
                let index = state & LOW_SIX;
                let input = if index == 0 {
                    self.byte(addr.checked_sub(1)?)?
                } else {
                    // The byte whose common-input index this is.
                    (from..=to).find(|&b| self.indices[usize::from(b)] == index)?
                };
                (from..=to).contains(&input).then_some(input)
            }
            Node::Any(any) => self
                .data
                .get(any.inputs_base..any.inputs_base.checked_add(any.ntrans)?)?
                .iter()
                .copied()
                .filter(|b| (from..=to).contains(b))
                .min(),
        }
    }
}

/// A node decoded as far as a digit walk needs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Node {
    /// Address 0: final, output 0, no transitions.
    EmptyFinal,
    /// One transition, never final; `state` is its state byte.
    Single { addr: usize, state: u8 },
    /// Any number of transitions, final or not.
    Any(AnyTrans),
}

/// A transition target: `delta` below the node's lowest byte, 0 meaning the empty final node.
#[inline(always)]
fn target(node_start: usize, delta: u64) -> Option<usize> {
    if delta == 0 {
        return Some(0);
    }
    node_start.checked_sub(usize::try_from(delta).ok()?)
}

/// The parts of a many-transition node a digit walk needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AnyTrans {
    is_final: bool,
    ntrans: usize,
    tsize: usize,
    osize: usize,
    /// Lowest address of the input bytes (inputs are stored last transition first).
    inputs_base: usize,
    /// Start of the 256-byte input index, for nodes of more than 32 transitions.
    index: Option<usize>,
}

impl AnyTrans {
    #[inline(always)]
    fn read(walker: &NodeReader<'_>, addr: usize, state: u8) -> Option<AnyTrans> {
        let mut ntrans = usize::from(state & LOW_SIX);
        let mut header = 1; // the state byte
        if ntrans == 0 {
            let count = walker.byte(addr.checked_sub(1)?)?;
            ntrans = if count == COUNT_256 {
                256
            } else {
                usize::from(count)
            };
            header += 1;
        }
        let sizes_at = addr.checked_sub(header)?;
        let (tsize, osize) = sizes(walker.byte(sizes_at)?);
        let index_len = if ntrans > INDEXED_ABOVE { INDEX_LEN } else { 0 };
        let index_start = sizes_at.checked_sub(index_len)?;
        Some(AnyTrans {
            is_final: state & ANY_FINAL != 0,
            ntrans,
            tsize,
            osize,
            inputs_base: index_start.checked_sub(ntrans)?,
            index: (index_len > 0).then_some(index_start),
        })
    }

    /// Lowest address of the transition targets.
    #[inline(always)]
    fn addresses_base(&self) -> Option<usize> {
        self.inputs_base.checked_sub(self.ntrans * self.tsize)
    }

    /// Lowest address of the transition outputs.
    #[inline(always)]
    fn outputs_base(&self) -> Option<usize> {
        self.addresses_base()?.checked_sub(self.ntrans * self.osize)
    }

    /// The node's lowest byte, from which targets are measured.
    #[inline(always)]
    fn end(&self) -> Option<usize> {
        let final_len = if self.is_final { self.osize } else { 0 };
        self.outputs_base()?.checked_sub(final_len)
    }

    /// The transition number of `byte`, if any.
    #[inline(always)]
    fn find(&self, walker: &NodeReader<'_>, byte: u8) -> Option<usize> {
        if let Some(index) = self.index {
            let i = usize::from(walker.byte(index + usize::from(byte))?);
            return (i < self.ntrans).then_some(i);
        }
        let inputs = walker
            .data
            .get(self.inputs_base..self.inputs_base + self.ntrans)?;
        let position = inputs.iter().position(|&b| b == byte)?;
        Some(self.ntrans - 1 - position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-load read gives what the byte-by-byte read gives, at every place and size,
    /// near the end of the data too.
    #[test]
    fn integers_read_in_one_load_equal_the_bytes_read_one_by_one() {
        let data: Vec<u8> = (0u32..40).map(|i| (i * 97 + 13) as u8).collect();
        let reader = NodeReader::new(&data, &[0; 256]);
        for at in 0..data.len() + 2 {
            for size in 0..=8 {
                let expected = data.get(at..at + size).map(|bytes| {
                    bytes
                        .iter()
                        .rev()
                        .fold(0u64, |value, &b| (value << 8) | u64::from(b))
                });
                assert_eq!(reader.uint(at, size), expected, "at {at}, size {size}");
            }
        }
    }
}
