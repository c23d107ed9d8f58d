//! A deck's prefixes, and new prefixes one digit longer than some of them: what the decks
//! derived from the main deck (suppliers', the next version) add to it.

use std::collections::HashSet;

use super::random::SplitMix64;
use super::row::GenRow;

/// The distinct prefixes of a deck, for [`supplier_deck`](super::supplier_deck::supplier_deck)
/// and [`next_deck`](super::next_deck::next_deck) (which add prefixes the deck lacks).
pub fn prefix_set(rows: &[GenRow]) -> HashSet<&str> {
    rows.iter().map(|row| row.prefix.as_str()).collect()
}

/// Up to `count` distinct prefixes one digit longer than a random row of `rows`, none of them
/// in `known`; each comes with the row it extends. Gives up after `20 × count` draws, so a
/// tiny deck ends the loop too.
pub(super) fn extensions<'a>(
    rows: &[&'a GenRow],
    count: usize,
    known: &HashSet<&str>,
    rng: &mut SplitMix64,
) -> Vec<(String, &'a GenRow)> {
    let mut taken: HashSet<String> = HashSet::new();
    let mut out = Vec::with_capacity(count);
    if rows.is_empty() {
        return out;
    }
    for _ in 0..count.saturating_mul(20) {
        if out.len() >= count {
            break;
        }
        let parent = rows[rng.below(rows.len() as u64) as usize];
        let mut prefix = parent.prefix.clone();
        rng.digits(1, &mut prefix);
        if prefix.len() <= 20 && !known.contains(prefix.as_str()) && taken.insert(prefix.clone()) {
            out.push((prefix, parent));
        }
    }
    out
}
