//! Deterministic synthetic datasets for benchmarks and load tests.
//!
//! A deck looks like a carrier's: real country codes weighted roughly by traffic, each with
//! breakouts of 1–7 more digits (fixed, mobile, premium) in blocks of 10 or 100 consecutive
//! prefixes, as number ranges are allocated; rates shared within a block and across a few
//! tiers per kind (so the artifact's record de-duplication sees realistic sharing), a few
//! connection fees and 60-second increments, and about 1% dated rate changes. Numbers extend random deck
//! prefixes (about 90%) or start with 0, which no country code does (the misses). The same
//! seed gives the same bytes on every machine: the generator is a fixed SplitMix64.

use std::collections::HashSet;
use std::io::{self, Write};

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

    fn digits(&mut self, count: usize, out: &mut String) {
        for _ in 0..count {
            out.push(char::from(b'0' + self.below(10) as u8));
        }
    }
}

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

/// One generated tariff row.
#[derive(Debug, Clone)]
pub struct GenRow {
    pub prefix: String,
    pub destination: String,
    /// The rate is `rate_units / 10^rate_scale`.
    pub rate_units: u64,
    /// 4 in [`deck`], 6 in [`npanxx_deck`].
    pub rate_scale: u8,
    /// Connection fee in units of 0.0001.
    pub connection_fee_units: u64,
    pub increment_s: u32,
    pub min_time_s: u32,
    pub effective_from: Option<String>,
}

fn units_text(units: u64) -> String {
    format!("{}.{:04}", units / 10_000, units % 10_000)
}

impl GenRow {
    /// The rate as the deck writes it: at least four decimals, at most `rate_scale`, no
    /// trailing zeros past the fourth (`0.0120`, `0.01234`, `0.012345`).
    pub fn rate_text(&self) -> String {
        let scale = u32::from(self.rate_scale);
        let divisor = 10u64.pow(scale);
        let mut text = format!(
            "{}.{:0width$}",
            self.rate_units / divisor,
            self.rate_units % divisor,
            width = scale as usize
        );
        let keep = text.len() - scale.saturating_sub(4) as usize;
        while text.len() > keep && text.ends_with('0') {
            text.pop();
        }
        text
    }
}

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

/// Generates a North American NPA-NXX deck of `rows` rows (at most [`NPANXX_MAX_ROWS`]): every prefix `1` + area code +
/// exchange (7 digits) with a price of its own, the shape that makes a real deck's artifact
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

/// A stable hash of `text` under `key` (FNV-1a, then SplitMix64's finaliser): choices that
/// must be the same for every row of a destination are drawn from it, not from the stream.
fn keyed_hash(key: u64, text: &str) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ key;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix64::new(hash).next_u64()
}

/// The distinct prefixes of a deck, for [`supplier_deck`] and [`next_deck`] (which add
/// prefixes the deck lacks).
pub fn prefix_set(rows: &[GenRow]) -> HashSet<&str> {
    rows.iter().map(|row| row.prefix.as_str()).collect()
}

/// Shuffles in place: decks arrive in no particular order.
fn shuffle(rows: &mut [GenRow], rng: &mut SplitMix64) {
    for i in (1..rows.len()).rev() {
        rows.swap(i, rng.below(i as u64 + 1) as usize);
    }
}

/// Up to `count` distinct prefixes one digit longer than a random row of `rows`, none of them
/// in `known`; each comes with the row it extends. Gives up after `20 × count` draws, so a
/// tiny deck ends the loop too.
fn extensions<'a>(
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
/// [`prefix_set`]) the way vendors' decks relate to a carrier's own:
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

/// The day a [`next_deck`] is received: its dated changes take effect 3 to 19 days later.
pub const NEXT_RECEIVED: &str = "2026-11-26";

/// `NEXT_RECEIVED` plus `days` (at most 35), as `YYYY-MM-DD`.
fn days_after_received(days: u64) -> String {
    let day = 26 + days;
    if day <= 30 {
        format!("2026-11-{day:02}")
    } else {
        format!("2026-12-{:02}", day - 30)
    }
}

/// The next version of the deck `main` (`known`: its [`prefix_set`]) as its vendor would
/// send it. Of the distinct prefixes, ~2% are closed (absent; never one of 1–3 digits, the
/// country codes), ~10% have their rate increased by 1–30%, ~10% decreased by 1–30% (the same
/// change for every prefix of a destination at one rate), ~1% keep their rate on other terms
/// (another increment and minimum time), and the rest are unchanged; ~2% new prefixes extend
/// existing ones by a digit, at their parent's rate within ±29%. Half of the increases and a
/// quarter of the decreases are dated 3 to 19 days after [`NEXT_RECEIVED`] (2026-11-29 to
/// 2026-12-15: a 7-day notice check finds both short and long notices), the old rate staying
/// as the undated row; the others change the undated row. The deck's own dated rows are kept
/// as they were for every prefix not closed.
pub fn next_deck(main: &[GenRow], known: &HashSet<&str>, seed: u64) -> Vec<GenRow> {
    let key = seed ^ 0x4E_E7DE_C0DE;
    let mut rng = SplitMix64::new(key);
    // A change of 1-30% of the rate, the same for every prefix of a destination at that rate
    // (vendors reprice destinations, and the artifact keeps sharing its rate records).
    let step = |row: &GenRow, salt: u64| {
        let percent = 1 + keyed_hash(key ^ salt ^ row.rate_units, &row.destination) % 30;
        (row.rate_units * percent / 100).max(1)
    };
    let mut taken_dates: HashSet<(&str, &str)> = HashSet::new();
    for row in main {
        if let Some(date) = &row.effective_from {
            taken_dates.insert((row.prefix.as_str(), date.as_str()));
        }
    }
    let undated: Vec<&GenRow> = main.iter().filter(|r| r.effective_from.is_none()).collect();
    let mut closed: HashSet<&str> = HashSet::new();
    let mut out: Vec<GenRow> = Vec::with_capacity(main.len() + main.len() / 25);
    for row in &undated {
        let roll = rng.below(1000);
        let (changed, dated_percent) = match roll {
            0..=19 if row.prefix.len() > 3 => {
                closed.insert(row.prefix.as_str());
                continue;
            }
            20..=119 => {
                let rate = row.rate_units + step(row, 1 << 40);
                (
                    GenRow {
                        rate_units: rate,
                        ..(*row).clone()
                    },
                    50,
                )
            }
            120..=219 if row.rate_units > 1 => {
                let rate = row.rate_units.saturating_sub(step(row, 2 << 40)).max(1);
                (
                    GenRow {
                        rate_units: rate,
                        ..(*row).clone()
                    },
                    25,
                )
            }
            220..=229 => {
                let increment_s = if row.increment_s == 60 { 30 } else { 60 };
                let terms = GenRow {
                    increment_s,
                    min_time_s: increment_s,
                    ..(*row).clone()
                };
                (terms, 0)
            }
            _ => {
                out.push((*row).clone());
                continue;
            }
        };
        let date = days_after_received(3 + rng.below(17));
        if rng.percent(dated_percent)
            && !taken_dates.contains(&(row.prefix.as_str(), date.as_str()))
        {
            out.push((*row).clone());
            out.push(GenRow {
                effective_from: Some(date),
                ..changed
            });
        } else {
            out.push(changed);
        }
    }
    let open: Vec<&GenRow> = undated
        .iter()
        .filter(|r| !closed.contains(r.prefix.as_str()))
        .copied()
        .collect();
    for (prefix, parent) in extensions(&open, undated.len() / 50, known, &mut rng) {
        let rate_units = parent.rate_units - step(parent, 3 << 40) + step(parent, 4 << 40);
        out.push(GenRow {
            prefix,
            rate_units,
            ..parent.clone()
        });
    }
    out.extend(
        main.iter()
            .filter(|r| r.effective_from.is_some() && !closed.contains(r.prefix.as_str()))
            .cloned(),
    );
    shuffle(&mut out, &mut rng);
    out
}

/// Writes a deck as a tariff CSV.
pub fn write_deck(rows: &[GenRow], out: impl Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "prefix",
        "destination",
        "rate",
        "connection_fee",
        "increment_s",
        "min_time_s",
        "effective_from",
    ])?;
    for row in rows {
        writer.write_record([
            row.prefix.as_str(),
            row.destination.as_str(),
            &row.rate_text(),
            &units_text(row.connection_fee_units),
            &row.increment_s.to_string(),
            &row.min_time_s.to_string(),
            row.effective_from.as_deref().unwrap_or(""),
        ])?;
    }
    writer.flush()
}

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
fn dialed_number(rows: &[GenRow], rng: &mut SplitMix64, number: &mut String) {
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

/// The header of `cdrs.csv`.
pub const CDR_HEADER: &str = "id,number,billsec,start";

/// Writes `count` CDRs (`cdrs.csv`: `id,number,billsec,start`) for `tariff-rate` and the
/// charging benches: numbers as in `numbers.txt`, ~5% unanswered calls (billsec 0), most
/// calls 1–600 s and ~2% up to an hour, started through November 2026 (UTC).
pub fn write_cdrs(rows: &[GenRow], count: usize, seed: u64, out: impl Write) -> io::Result<()> {
    let mut rng = SplitMix64::new(seed ^ 0x0cd2_0cd2);
    let mut out = io::BufWriter::new(out);
    let mut number = String::with_capacity(24);
    let november = ratel_engine::time::Timestamp::parse("2026-11-01").map_or(0, |t| t.0);
    writeln!(out, "{CDR_HEADER}")?;
    for id in 1..=count {
        dialed_number(rows, &mut rng, &mut number);
        let billsec = if rng.percent(5) {
            0
        } else if rng.percent(2) {
            1 + rng.below(3600)
        } else {
            1 + rng.below(600)
        };
        let start = ratel_engine::time::Timestamp(november + rng.below(30 * 86_400) as i64);
        writeln!(out, "cdr-{id},{number},{billsec},{start}")?;
    }
    out.flush()
}

/// Currencies with their rate against USD (the default).
pub const CURRENCIES: &[(&str, &str)] = &[
    ("USD", "1"),
    ("EUR", "0.92"),
    ("GBP", "0.79"),
    ("CAD", "1.36"),
    ("INR", "83.12"),
    ("JPY", "151.2"),
    ("CHF", "0.88"),
];

/// Writes `currencies.csv`.
pub fn write_currencies(out: impl Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(["code", "exchange_rate"])?;
    for (code, rate) in CURRENCIES {
        writer.write_record([code, rate])?;
    }
    writer.flush()
}

/// Writes `users.csv`: the admin (id 0), an accountant (id 1), resellers (one per thousand
/// users, at least one) and plain users owned by the admin or a reseller, all on `tariff`.
/// Returns the ids of the admin and resellers (the possible owners of card groups).
pub fn write_users(count: usize, tariff: &str, seed: u64, out: impl Write) -> io::Result<Vec<u64>> {
    let mut rng = SplitMix64::new(seed ^ 0x05E2_5000);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record([
        "id",
        "username",
        "role",
        "owner_id",
        "tariff",
        "custom_tariff",
        "currency",
        "balance",
        "initial_balance",
        "unique_hash",
        "api_key",
        "password",
        "numbers",
        "first_name",
        "last_name",
        "permissions",
    ])?;
    let resellers = (count / 1000).max(1) as u64;
    let mut owners = vec![0u64];
    let total = count as u64 + 2 + resellers;
    for id in 0..total {
        let (username, role, owner, permissions) = match id {
            0 => ("admin".to_owned(), "admin", 0, ""),
            1 => (
                "accountant".to_owned(),
                "accountant",
                0,
                "see_financial_data manage_tariffs manage_cards",
            ),
            id if id < 2 + resellers => {
                owners.push(id);
                (format!("reseller{id}"), "reseller", 0, "calling_cards")
            }
            id => {
                let owner = if rng.percent(70) {
                    0
                } else {
                    owners[1 + rng.below(resellers) as usize]
                };
                (format!("user{id}"), "user", owner, "")
            }
        };
        let currency = CURRENCIES[if rng.percent(60) {
            0
        } else {
            rng.below(CURRENCIES.len() as u64) as usize
        }]
        .0;
        let balance = rng.below(2_000_000) as i64 - 200_000;
        let balance = format!(
            "{}{}",
            if balance < 0 { "-" } else { "" },
            units_text(balance.unsigned_abs())
        );
        let unique_hash = format!("{:012x}", rng.next_u64() >> 16);
        let api_key = if role == "reseller" {
            format!("key{:x}", rng.next_u64())
        } else {
            String::new()
        };
        let number = format!("3706{:07}", rng.below(10_000_000));
        writer.write_record([
            id.to_string().as_str(),
            &username,
            role,
            &owner.to_string(),
            tariff,
            "",
            currency,
            &balance,
            "",
            &unique_hash,
            &api_key,
            &format!("pw{id}"),
            &number,
            "First",
            &format!("Last{id}"),
            permissions,
        ])?;
    }
    writer.flush()?;
    Ok(owners)
}

/// Writes `card_groups.csv` and `cards.csv`: one group per thousand cards, owned in turn by
/// the admin and the resellers; unique 10-digit numbers and unique 8-digit PINs.
pub fn write_cards(
    count: usize,
    owners: &[u64],
    seed: u64,
    groups_out: impl Write,
    cards_out: impl Write,
) -> io::Result<()> {
    let mut rng = SplitMix64::new(seed ^ 0xCA2D_5000);
    let groups = count.div_ceil(1000).max(1);
    let mut writer = csv::Writer::from_writer(groups_out);
    writer.write_record(["id", "name", "owner_id"])?;
    for group in 1..=groups {
        let owner = owners[(group - 1) % owners.len().max(1)];
        writer.write_record([
            group.to_string(),
            format!("Group {group}"),
            owner.to_string(),
        ])?;
    }
    writer.flush()?;
    let mut writer = csv::Writer::from_writer(cards_out);
    writer.write_record([
        "id",
        "number",
        "pin",
        "group_id",
        "name",
        "batch_number",
        "callerid",
        "balance",
        "min_balance",
        "first_use",
        "daily_charge_paid_till",
        "sold",
        "language",
        "distributor_id",
        "hidden",
    ])?;
    for index in 0..count as u64 {
        let id = index + 1;
        // 7919 is prime and coprime with 10^8, so PINs are a permutation: unique.
        let pin = format!("{:08}", (index * 7919 + 12_345) % 100_000_000);
        let first_use = if rng.percent(40) {
            format!(
                "2026-{:02}-{:02} 10:00:00 +0000",
                1 + rng.below(12),
                1 + rng.below(28)
            )
        } else {
            String::new()
        };
        writer.write_record([
            id.to_string().as_str(),
            &format!("{}", 1_000_000_000 + index),
            &pin,
            &(index / 1000 + 1).to_string(),
            &format!("card{id}"),
            &(index / 500).to_string(),
            &if rng.percent(20) {
                format!("3706{:07}", rng.below(10_000_000))
            } else {
                String::new()
            },
            &units_text(rng.below(1_000_000)),
            "0",
            &first_use,
            "",
            if rng.percent(50) { "1" } else { "0" },
            ["en", "lt", "de"][rng.below(3) as usize],
            "",
            if rng.percent(2) { "1" } else { "0" },
        ])?;
    }
    writer.flush()
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
