//! Dialed numbers (`numbers.txt`): about 90% extend a random deck prefix, the rest start
//! with 0, which no country code does (the misses).

use std::io::{self, Write};

use super::random::SplitMix64;
use super::row::GenRow;

/// Writes `count` dialed numbers, one a line: ~90% extend a deck prefix, the rest start
/// with 0 (no country code does), so they match nothing.
pub fn write_numbers(rows: &[GenRow], count: usize, seed: u64, out: impl Write) -> io::Result<()> {
    let mut rng = SplitMix64::new(seed ^ 0x0123_4567);
    let mut out = io::BufWriter::new(out);
    let mut number = String::with_capacity(24);
    for _ in 0..count {
        dialed_number(rows, &mut rng, &mut number);
        out.write_all(number.as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// One dialed number into `number` (cleared first): ~90% extend a deck prefix to 11–13
/// digits, the rest start with 0 and match nothing.
pub(super) fn dialed_number(rows: &[GenRow], rng: &mut SplitMix64, number: &mut String) {
    number.clear();
    if rows.is_empty() || rng.percent(10) {
        number.push('0');
        let len = 10 + rng.below(3) as usize;
        rng.digits(len, number);
    } else {
        number.push_str(&rows[rng.below(rows.len() as u64) as usize].prefix);
        let target = 11 + rng.below(3) as usize;
        let extra = target.saturating_sub(number.len()).max(1);
        rng.digits(extra, number);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratel_gen::deck::deck;

    #[test]
    fn about_ninety_percent_of_numbers_extend_a_prefix() {
        let rows = deck(2_000, 1);
        let mut out = Vec::new();
        write_numbers(&rows, 10_000, 1, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let misses = text.lines().filter(|n| n.starts_with('0')).count();
        assert!((800..1200).contains(&misses), "{misses} misses");
    }
}
