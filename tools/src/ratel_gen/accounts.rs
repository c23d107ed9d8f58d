//! The account files the server loads: `currencies.csv`, `users.csv` (the admin, an
//! accountant, resellers and plain users), `card_groups.csv` and `cards.csv`.

use std::io::{self, Write};

use super::random::SplitMix64;
use super::row::units_text;

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
