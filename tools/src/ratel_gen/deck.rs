//! The main deck, shaped like a carrier's: real country codes weighted roughly by traffic,
//! each with breakouts of 1–7 more digits (fixed, mobile, premium) in blocks of 10 or 100
//! consecutive prefixes, as number ranges are allocated; rates shared within a block and
//! across a few tiers per kind (so the artifact's record de-duplication sees realistic
//! sharing), a few connection fees and 60-second increments, and about 1% dated rate changes.

use std::collections::HashSet;

use super::random::{shuffle, SplitMix64};
use super::row::GenRow;

/// (country code, name, relative share of breakouts).
const COUNTRIES: &[(&str, &str, u32)] = &[
    ("1", "United States", 300),
    ("7", "Russia", 40),
    ("20", "Egypt", 10),
    ("27", "South Africa", 10),
    ("30", "Greece", 8),
    ("31", "Netherlands", 12),
    ("32", "Belgium", 10),
    ("33", "France", 25),
    ("34", "Spain", 20),
    ("36", "Hungary", 6),
    ("39", "Italy", 25),
    ("40", "Romania", 10),
    ("41", "Switzerland", 8),
    ("43", "Austria", 8),
    ("44", "United Kingdom", 40),
    ("45", "Denmark", 5),
    ("46", "Sweden", 6),
    ("47", "Norway", 5),
    ("48", "Poland", 12),
    ("49", "Germany", 40),
    ("51", "Peru", 6),
    ("52", "Mexico", 25),
    ("53", "Cuba", 4),
    ("54", "Argentina", 10),
    ("55", "Brazil", 30),
    ("56", "Chile", 6),
    ("57", "Colombia", 10),
    ("58", "Venezuela", 5),
    ("60", "Malaysia", 8),
    ("61", "Australia", 12),
    ("62", "Indonesia", 20),
    ("63", "Philippines", 15),
    ("64", "New Zealand", 4),
    ("65", "Singapore", 4),
    ("66", "Thailand", 10),
    ("81", "Japan", 15),
    ("82", "South Korea", 10),
    ("84", "Vietnam", 12),
    ("86", "China", 50),
    ("90", "Turkey", 15),
    ("91", "India", 50),
    ("92", "Pakistan", 15),
    ("93", "Afghanistan", 3),
    ("94", "Sri Lanka", 4),
    ("95", "Myanmar", 3),
    ("98", "Iran", 8),
    ("212", "Morocco", 6),
    ("213", "Algeria", 5),
    ("216", "Tunisia", 3),
    ("221", "Senegal", 3),
    ("225", "Ivory Coast", 3),
    ("233", "Ghana", 4),
    ("234", "Nigeria", 12),
    ("254", "Kenya", 5),
    ("255", "Tanzania", 3),
    ("256", "Uganda", 3),
    ("351", "Portugal", 6),
    ("353", "Ireland", 4),
    ("358", "Finland", 4),
    ("370", "Lithuania", 3),
    ("371", "Latvia", 2),
    ("372", "Estonia", 2),
    ("380", "Ukraine", 10),
    ("381", "Serbia", 4),
    ("385", "Croatia", 3),
    ("420", "Czech Republic", 5),
    ("421", "Slovakia", 3),
    ("502", "Guatemala", 3),
    ("503", "El Salvador", 3),
    ("504", "Honduras", 3),
    ("505", "Nicaragua", 2),
    ("506", "Costa Rica", 2),
    ("509", "Haiti", 3),
    ("591", "Bolivia", 3),
    ("593", "Ecuador", 4),
    ("852", "Hong Kong", 4),
    ("880", "Bangladesh", 10),
    ("886", "Taiwan", 5),
    ("961", "Lebanon", 2),
    ("962", "Jordan", 2),
    ("966", "Saudi Arabia", 6),
    ("971", "United Arab Emirates", 6),
    ("972", "Israel", 4),
    ("974", "Qatar", 2),
    ("977", "Nepal", 3),
];

/// Breakout kinds: name suffix, rate multiplier (percent), increment, minimum time.
const KINDS: &[(&str, u64, u32, u32)] = &[
    ("", 100, 1, 0),
    (" Fixed", 100, 1, 0),
    (" Mobile", 250, 60, 60),
    (" Mobile Premium", 400, 60, 60),
    (" Special Services", 800, 60, 30),
];

/// Generates a deck of exactly `rows` rows: distinct prefixes plus ~1% dated versions.
pub fn deck(rows: usize, seed: u64) -> Vec<GenRow> {
    let mut rng = SplitMix64::new(seed ^ 0xDEC0_0001);
    let total_weight: u64 = COUNTRIES.iter().map(|c| u64::from(c.2)).sum();
    // A base rate per country, 0.0020–0.3000.
    let base: Vec<u64> = COUNTRIES.iter().map(|_| 20 + rng.below(2_980)).collect();
    let dated = rows / 100;
    let distinct = rows - dated;
    let mut seen: HashSet<String> = HashSet::with_capacity(distinct);
    let mut out: Vec<GenRow> = Vec::with_capacity(rows);
    let make = |country: usize, prefix: String, kind: usize, rng: &mut SplitMix64| {
        let (code, name, _) = COUNTRIES[country];
        let (suffix, multiplier, increment_s, min_time_s) = KINDS[kind];
        let _ = code;
        // A few rate tiers per (country, kind), so breakouts share records like real decks.
        let tier = rng.below(4);
        GenRow {
            prefix,
            destination: format!("{name}{suffix}"),
            rate_units: base[country] * multiplier / 100 + tier * 7,
            rate_scale: 4,
            connection_fee_units: if kind >= 3 { 100 } else { 0 },
            increment_s,
            min_time_s,
            effective_from: None,
        }
    };
    // Every country code itself first (as many as fit).
    for (country, (code, _, _)) in COUNTRIES.iter().enumerate().take(distinct) {
        seen.insert((*code).to_owned());
        out.push(make(country, (*code).to_owned(), 0, &mut rng));
    }
    while out.len() < distinct {
        let mut pick = rng.below(total_weight);
        let country = COUNTRIES
            .iter()
            .position(|c| {
                let w = u64::from(c.2);
                if pick < w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .unwrap_or(0);
        // Numbers are allocated in ranges, so breakouts come in blocks: a base of 1-5 more
        // digits, then all ten (60%) or all hundred (30%) of its extensions, or the base alone
        // (10%), every prefix of a block sharing one destination and rate. In all, 1-7 digits
        // follow the country code.
        let mut base = COUNTRIES[country].0.to_owned();
        let extra = 1 + rng.below(5) as usize;
        rng.digits(extra, &mut base);
        let kind = 1 + rng.below(KINDS.len() as u64 - 1) as usize;
        let template = make(country, String::new(), kind, &mut rng);
        let block = match rng.below(10) {
            0 => 0,
            1..=6 => 1,
            _ => 2,
        };
        for extension in 0..10usize.pow(block) {
            if out.len() >= distinct {
                break;
            }
            let prefix = match block {
                0 => base.clone(),
                1 => format!("{base}{extension}"),
                _ => format!("{base}{extension:02}"),
            };
            if prefix.len() <= 20 && seen.insert(prefix.clone()) {
                out.push(GenRow {
                    prefix,
                    ..template.clone()
                });
            }
        }
    }
    // Dated changes: a new rate for an existing prefix from some day in 2025–2027.
    let mut dates: HashSet<(usize, String)> = HashSet::new();
    while out.len() < rows && distinct > 0 {
        let source = rng.below(distinct as u64) as usize;
        let date = format!(
            "{}-{:02}-{:02}",
            2025 + rng.below(3),
            1 + rng.below(12),
            1 + rng.below(28)
        );
        if !dates.insert((source, date.clone())) {
            continue;
        }
        let mut row = out[source].clone();
        row.rate_units += 1 + rng.below(50);
        row.effective_from = Some(date);
        out.push(row);
    }
    shuffle(&mut out, &mut rng);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decks_are_deterministic_and_exactly_sized() {
        let a = deck(5_000, 7);
        let b = deck(5_000, 7);
        assert_eq!(a.len(), 5_000);
        assert_eq!(
            a.iter().map(|r| &r.prefix).collect::<Vec<_>>(),
            b.iter().map(|r| &r.prefix).collect::<Vec<_>>()
        );
        assert_ne!(
            deck(5_000, 8).iter().map(|r| &r.prefix).collect::<Vec<_>>(),
            a.iter().map(|r| &r.prefix).collect::<Vec<_>>()
        );
        let undated: HashSet<_> = a
            .iter()
            .filter(|r| r.effective_from.is_none())
            .map(|r| &r.prefix)
            .collect();
        assert_eq!(
            undated.len(),
            a.iter().filter(|r| r.effective_from.is_none()).count(),
            "undated prefixes are distinct"
        );
        assert!(a
            .iter()
            .all(|r| (1..=20).contains(&r.prefix.len()) && !r.prefix.starts_with('0')));
    }
}
