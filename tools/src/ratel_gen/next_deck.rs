//! The main deck's next version (`--next`, for `tariff-diff`), as its vendor would send it:
//! prefixes closed and new, rates up and down, some changes dated after the day received.

use std::collections::HashSet;

use super::prefixes::extensions;
use super::random::{keyed_hash, shuffle, SplitMix64};
use super::row::GenRow;

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

/// The next version of the deck `main` (`known`: its [`prefix_set`](super::prefixes::prefix_set))
/// as its vendor would send it. Of the distinct prefixes, ~2% are closed (absent; never one of 1–3
/// digits, the country codes), ~10% have their rate increased by 1–30%, ~10% decreased by 1–30%
/// (the same change for every prefix of a destination at one rate), ~1% keep their rate on other
/// terms (another increment and minimum time), and the rest are unchanged; ~2% new prefixes extend
/// existing ones by a digit, at their parent's rate within ±29%. Half of the increases and a
/// quarter of the decreases are dated 3 to 19 days after [`NEXT_RECEIVED`] (2026-11-29 to
/// 2026-12-15: a 7-day notice check finds both short and long notices), the old rate staying as the
/// undated row; the others change the undated row. The deck's own dated rows are kept as they were
/// for every prefix not closed.
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
