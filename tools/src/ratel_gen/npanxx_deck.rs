//! The North American deck (`--shape npanxx`): 7-digit prefixes 1NPANXX, nearly each with a
//! rate of its own, the shape that makes a real termination deck's artifact large.

use std::collections::HashSet;

use super::random::SplitMix64;
use super::row::GenRow;

/// US states, DC and Canadian provinces: the second part of an NPA-NXX destination name.
const REGIONS: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AB", "BC", "MB", "NB", "NL", "NS", "ON", "QC", "SK",
];

/// Syllables of generated rate-center names ("Marlowood", "Kenbury Hts").
const SYLLABLES: &[&str] = &[
    "ash", "bel", "bur", "car", "dal", "den", "el", "far", "glen", "ham", "hart", "ken", "lan",
    "lex", "mar", "mil", "mont", "new", "nor", "oak", "par", "ridge", "ros", "sal", "spring",
    "stan", "ton", "ver", "wal", "west", "win", "wood", "ford", "ville", "field", "port",
];

/// Suffixes a rate center's name sometimes carries.
const PLACE_SUFFIXES: &[&str] = &["", "", "", "", "", "", " City", " Hts", " Jct", " Spgs"];

/// The fee (units of 0.0001), increment and minimum time of the eight billing terms an
/// NPA-NXX deck uses.
const NPANXX_TERMS: &[(u64, u32, u32)] = &[
    (0, 6, 6),
    (0, 1, 1),
    (0, 60, 60),
    (0, 6, 30),
    (0, 30, 30),
    (0, 1, 0),
    (100, 6, 6),
    (50, 60, 60),
];

/// A rate-center name: one or two capitalised words of syllables, sometimes a suffix.
fn place_name(rng: &mut SplitMix64) -> String {
    let mut name = String::new();
    let words = if rng.percent(15) { 2 } else { 1 };
    for word in 0..words {
        if word > 0 {
            name.push(' ');
        }
        let start = name.len();
        for _ in 0..2 + u64::from(rng.percent(20)) {
            name.push_str(SYLLABLES[rng.below(SYLLABLES.len() as u64) as usize]);
        }
        name[start..=start].make_ascii_uppercase();
    }
    name.push_str(PLACE_SUFFIXES[rng.below(PLACE_SUFFIXES.len() as u64) as usize]);
    name
}

/// The most rows [`npanxx_deck`] makes: 720 area codes of 800 exchanges.
pub const NPANXX_MAX_ROWS: usize = 720 * 800;

/// Generates a North American NPA-NXX deck of `rows` rows (at most [`NPANXX_MAX_ROWS`]): every
/// prefix `1` + area code + exchange (7 digits) with a price of its own, the shape that makes a real deck's artifact
/// large. Proportions follow a real 316,867-row deck: about one distinct rate per 4.9 rows
/// (4 to 6 decimals, 0.0005 to 0.25), one destination per 7.7 rows ("Marlowood NJ", 13-14
/// bytes on average; each area code has its own rate centers, exchanges scattered over them),
/// and eight fee/increment/minimum combinations, most area codes sticking to one. Undated.
pub fn npanxx_deck(rows: usize, seed: u64) -> Vec<GenRow> {
    let mut rng = SplitMix64::new(seed ^ 0x4E50_A4E5);
    // Area codes `[2-9][0-9][0-9]` (not N11), each with up to 800 exchanges `[2-9][0-9][0-9]`;
    // real decks cover ~790 exchanges of ~400 area codes.
    let area_count = rows.div_ceil(790).clamp(1, 720);
    let mut codes: Vec<u32> = (200..1000).filter(|npa| npa % 100 != 11).collect();
    for i in (1..codes.len()).rev() {
        codes.swap(i, rng.below(i as u64 + 1) as usize);
    }
    codes.truncate(area_count);
    let rows = rows.min(area_count * 800);

    // The rate pool: distinct values, drawn so that ~4.9 rows share each.
    let pool_size = (rows * 206 / 1000).max(1);
    let mut pool: Vec<u64> = Vec::with_capacity(pool_size);
    let mut distinct: HashSet<u64> = HashSet::with_capacity(pool_size);
    while pool.len() < pool_size {
        let mut units = if rng.percent(70) {
            500 + rng.below(60_000)
        } else {
            500 + rng.below(250_000)
        };
        units -= units % [100, 10, 10, 1, 1, 1, 1, 1, 1, 1][rng.below(10) as usize];
        if distinct.insert(units) {
            pool.push(units);
        }
    }

    let mut prefixes: Vec<(usize, u32)> = Vec::with_capacity(area_count * 800);
    for area in 0..area_count {
        for exchange in 200..1000 {
            prefixes.push((area, exchange));
        }
    }
    for i in (1..prefixes.len()).rev() {
        prefixes.swap(i, rng.below(i as u64 + 1) as usize);
    }
    prefixes.truncate(rows);

    // Per area: its region, its usual terms and its rate centers (~7.7 rows each).
    let per_area = rows.div_ceil(area_count);
    let centers = (per_area * 10 / 72).max(1);
    let areas: Vec<(usize, Vec<String>)> = codes
        .iter()
        .map(|_| {
            let region = REGIONS[rng.below(REGIONS.len() as u64) as usize];
            let terms = rng.below(NPANXX_TERMS.len() as u64) as usize;
            let names = (0..centers)
                .map(|_| format!("{} {region}", place_name(&mut rng)))
                .collect();
            (terms, names)
        })
        .collect();
    let mut out = Vec::with_capacity(rows);
    for (area, exchange) in prefixes {
        let (usual_terms, names) = &areas[area];
        let terms = if rng.percent(90) {
            *usual_terms
        } else {
            rng.below(NPANXX_TERMS.len() as u64) as usize
        };
        let (fee, increment_s, min_time_s) = NPANXX_TERMS[terms];
        out.push(GenRow {
            prefix: format!("1{}{exchange}", codes[area]),
            destination: names[rng.below(names.len() as u64) as usize].clone(),
            rate_units: pool[rng.below(pool.len() as u64) as usize],
            rate_scale: 6,
            connection_fee_units: fee,
            increment_s,
            min_time_s,
            effective_from: None,
        });
    }
    out
}
