//! The randomness under every generator: a SplitMix64 stream (each file draws from one of
//! its own, seeded from the dataset's seed), a keyed hash for choices that must repeat for
//! every row of a destination, and the shuffle that leaves decks in no particular order.

/// SplitMix64: tiny, fast, and fixed forever, so datasets are reproducible across versions.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`; the tiny modulo bias is irrelevant here).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(super) fn digits(&mut self, count: usize, out: &mut String) {
        for _ in 0..count {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }
}

/// A stable hash of `text` under `key` (FNV-1a, then SplitMix64's finaliser): choices that
/// must be the same for every row of a destination are drawn from it, not from the stream.
pub(super) fn keyed_hash(key: u64, text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ key;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix64::new(hash).next_u64()
}

/// Shuffles in place: decks arrive in no particular order.
pub(super) fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i as u64 + 1) as usize);
    }
}
