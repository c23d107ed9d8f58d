//! Supplier decks (`--suppliers N`, for `tariff-lcr`): each derived from the main deck the way
//! a vendor's deck relates to a carrier's own.

use std::collections::HashSet;

use super::prefixes::extensions;
use super::random::{keyed_hash, shuffle, SplitMix64};
use super::row::GenRow;

/// The fee (units of 0.0001), increment and minimum time a supplier sometimes bills a
/// destination on instead of the sell deck's terms.
const SUPPLIER_TERMS: &[(u64, u32, u32)] = &[
    (0, 30, 30),
    (0, 6, 6),
    (0, 60, 60),
    (100, 1, 0),
    (50, 60, 30),
];

/// Supplier `number`'s deck (1, 2, …), derived from the sell deck `main` (`known`: its
/// [`prefix_set`](super::prefixes::prefix_set)) the way vendors' decks relate to a
/// carrier's own:
/// - 87–93% of the sell deck's distinct prefixes (the share is the supplier's; which
///   prefixes, a draw of its own);
/// - each rate 40–110% of the sell rate: a supplier-wide level (60–80%), a bias per
///   destination (±20 points) and a little noise per rate (±5), so suppliers are mostly
///   cheaper than the sell price and their ranking changes from destination to destination;
///   rows that share a destination and rate in the sell deck share them here too;
/// - ~8% of destinations billed on other terms (fee, increment, minimum time);
/// - 1–3% extra breakouts the sell deck lacks (a sell prefix and one more digit);
/// - ~0.5% of prefixes with a dated rate change from 2026-12 to 2027-03.
///
/// The sell deck's own dated rows are not carried over. Same column format, and it compiles:
/// prefixes are distinct apart from the dated rows, each on a date of its own.
pub fn supplier_deck(
    main: &[GenRow],
    known: &HashSet<&str>,
    number: u64,
    seed: u64,
) -> Vec<GenRow> {
    let key = seed ^ number.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5EED_5077;
    let mut rng = SplitMix64::new(key);
    let share_permille = 870 + rng.below(61);
    let level = 60 + rng.below(21) as i64;
    let undated: Vec<&GenRow> = main.iter().filter(|r| r.effective_from.is_none()).collect();
    // Percent of the sell rate, and the terms, for a destination (and a rate within it).
    let price = |row: &GenRow, destination_hash: u64| {
        let bias = (destination_hash % 41) as i64 - 20;
        let noise = (keyed_hash(key ^ row.rate_units, &row.destination) % 11) as i64 - 5;
        let percent = (level + bias + noise).clamp(40, 110) as u64;
        (row.rate_units * percent / 100).max(1)
    };
    let terms = |row: &GenRow, destination_hash: u64| {
        if (destination_hash >> 32) % 100 < 8 {
            SUPPLIER_TERMS[((destination_hash >> 40) % SUPPLIER_TERMS.len() as u64) as usize]
        } else {
            (row.connection_fee_units, row.increment_s, row.min_time_s)
        }
    };
    let supplied = |row: &GenRow, prefix: String| {
        let destination_hash = keyed_hash(key, &row.destination);
        let (fee, increment_s, min_time_s) = terms(row, destination_hash);
        GenRow {
            prefix,
            destination: row.destination.clone(),
            rate_units: price(row, destination_hash),
            rate_scale: row.rate_scale,
            connection_fee_units: fee,
            increment_s,
            min_time_s,
            effective_from: None,
        }
    };
    let mut out: Vec<GenRow> = Vec::with_capacity(undated.len() + undated.len() / 25);
    for row in &undated {
        if rng.below(1000) < share_permille {
            out.push(supplied(row, row.prefix.clone()));
        }
    }
    let extra_count = undated.len() * (10 + rng.below(21) as usize) / 1000;
    for (prefix, parent) in extensions(&undated, extra_count, known, &mut rng) {
        out.push(supplied(parent, prefix));
    }
    // Dated changes, one a prefix, so no two rows share a prefix and a date.
    let supplied_count = out.len();
    let mut dated: HashSet<usize> = HashSet::new();
    while dated.len() < supplied_count / 200 {
        let source = rng.below(supplied_count as u64) as usize;
        if !dated.insert(source) {
            continue;
        }
        let (year, month) = [(2026, 12), (2027, 1), (2027, 2), (2027, 3)][rng.below(4) as usize];
        let mut row = out[source].clone();
        let step = (row.rate_units / 10).max(1);
        row.rate_units = if rng.percent(50) {
            row.rate_units + 1 + rng.below(step)
        } else {
            row.rate_units.saturating_sub(1 + rng.below(step)).max(1)
        };
        row.effective_from = Some(format!("{year}-{month:02}-{:02}", 1 + rng.below(28)));
        out.push(row);
    }
    shuffle(&mut out, &mut rng);
    out
}
