//! `card_groups.csv` and `cards.csv` (docs/formats.md): calling cards and the groups that own them.

use crate::input::{read_csv, ColumnSpec, ErrorList, Row};
use std::sync::Arc;

use super::balance::BalanceCell;
use crate::money::Decimal;
use crate::time::Timestamp;

/// A card group and its owner (the admin or a reseller).
#[derive(Debug, Clone)]
pub struct CardGroup {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    /// The tariff that prices calls made with the group's cards.
    pub tariff: Option<String>,
    pub line: u64,
}

/// One calling card. Text fields are kept as written: the API prints them back.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: u64,
    pub number: String,
    pub pin: String,
    pub group_id: u64,
    pub name: String,
    pub batch_number: String,
    pub callerid: String,
    /// In the default currency; the `_f64` twin is what the API prints, Ruby style.
    /// The `balance` column as read: the opening balance of a card the ledger has not seen
    /// yet (see [`Card::balance`]).
    pub csv_balance: Decimal,
    /// The live balance (the ledger's, once it has attached these accounts).
    pub(crate) live: Arc<BalanceCell>,
    pub min_balance: Decimal,
    pub min_balance_f64: f64,
    /// `YYYY-MM-DD HH:MM:SS ±zzzz`, or empty.
    pub first_use: String,
    pub daily_charge_paid_till: String,
    pub sold: bool,
    pub language: String,
    pub distributor_id: Option<u64>,
    pub hidden: bool,
    pub line: u64,
}

impl Card {
    /// The balance now, in the default currency: the ledger's when one is attached, else the
    /// file's.
    #[inline]
    pub fn balance(&self) -> Decimal {
        self.live.get()
    }

    /// The live balance's cell, for a [`crate::ledger::Change`] to this card.
    pub fn live(&self) -> &Arc<BalanceCell> {
        &self.live
    }

    /// [`Card::balance`] as the nearest `f64` (MOR prints card balances as Floats).
    #[inline]
    pub fn balance_f64(&self) -> f64 {
        self.live.get_f64()
    }
}

pub(crate) const GROUP_ID: usize = 0;
const GROUP_NAME: usize = 1;
pub(crate) const GROUP_OWNER: usize = 2;
pub(crate) const GROUP_TARIFF: usize = 3;
pub(crate) const GROUP_COLUMNS: [ColumnSpec; 4] = [
    ColumnSpec {
        name: "id",
        required: true,
    },
    ColumnSpec {
        name: "name",
        required: true,
    },
    ColumnSpec {
        name: "owner_id",
        required: true,
    },
    ColumnSpec {
        name: "tariff",
        required: false,
    },
];

pub(crate) const ID: usize = 0;
pub(crate) const NUMBER: usize = 1;
const PIN: usize = 2;
pub(crate) const CARD_GROUP: usize = 3;
const NAME: usize = 4;
const BATCH: usize = 5;
const CALLERID: usize = 6;
const BALANCE: usize = 7;
const MIN_BALANCE: usize = 8;
const FIRST_USE: usize = 9;
const PAID_TILL: usize = 10;
const SOLD: usize = 11;
const LANGUAGE: usize = 12;
pub(crate) const DISTRIBUTOR: usize = 13;
const HIDDEN: usize = 14;
pub(crate) const CARD_COLUMNS: [ColumnSpec; 15] = [
    ColumnSpec {
        name: "id",
        required: true,
    },
    ColumnSpec {
        name: "number",
        required: true,
    },
    ColumnSpec {
        name: "pin",
        required: true,
    },
    ColumnSpec {
        name: "group_id",
        required: true,
    },
    ColumnSpec {
        name: "name",
        required: false,
    },
    ColumnSpec {
        name: "batch_number",
        required: false,
    },
    ColumnSpec {
        name: "callerid",
        required: false,
    },
    ColumnSpec {
        name: "balance",
        required: false,
    },
    ColumnSpec {
        name: "min_balance",
        required: false,
    },
    ColumnSpec {
        name: "first_use",
        required: false,
    },
    ColumnSpec {
        name: "daily_charge_paid_till",
        required: false,
    },
    ColumnSpec {
        name: "sold",
        required: false,
    },
    ColumnSpec {
        name: "language",
        required: false,
    },
    ColumnSpec {
        name: "distributor_id",
        required: false,
    },
    ColumnSpec {
        name: "hidden",
        required: false,
    },
];

pub(crate) fn read_groups<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
) -> Option<(Vec<CardGroup>, Vec<u64>)> {
    let mut groups = Vec::new();
    let columns = read_csv(
        input,
        file,
        &GROUP_COLUMNS,
        errors,
        warnings,
        |row| {
            let id = row.whole(GROUP_ID, None, 0, u64::MAX);
            let name = row.required_text(GROUP_NAME, 128);
            let owner_id = row.whole(GROUP_OWNER, None, 0, u64::MAX);
            let tariff = super::users::tariff_name(row, GROUP_TARIFF, "tariff");
            if let (Some(id), Some(name), Some(owner_id), Some(tariff), true) =
                (id, name, owner_id, tariff, row.ok())
            {
                groups.push(CardGroup {
                    id,
                    name: name.to_owned(),
                    owner_id,
                    tariff,
                    line: row.line(),
                });
            }
        },
        |_| {},
    )?;
    Some((groups, columns.numbers()))
}

pub(crate) fn read_cards<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
) -> Option<(Vec<Card>, Vec<u64>)> {
    let mut cards = Vec::new();
    let columns = read_csv(
        input,
        file,
        &CARD_COLUMNS,
        errors,
        warnings,
        |row| {
            if let Some(card) = parse_card(row) {
                cards.push(card);
            }
        },
        |_| {},
    )?;
    Some((cards, columns.numbers()))
}

/// 1-20 digits. A secret (the PIN) is not quoted in the message: errors reach the log and
/// the `/reload` reply.
fn digits(row: &mut Row<'_, '_>, spec: usize, name: &str, secret: bool) -> Option<String> {
    let text = row.required_text(spec, 20)?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        let message = if secret {
            format!("{name} must be 1-20 digits (a secret: its value is not shown)")
        } else {
            format!("{name} \"{text}\" must be 1-20 digits")
        };
        row.fail_field(spec, message);
        return None;
    }
    Some(text.to_owned())
}

/// `YYYY-MM-DD HH:MM:SS ±zzzz` or empty.
fn zoned_time(row: &mut Row<'_, '_>, spec: usize, name: &str) -> Option<String> {
    let text = row.text(spec, 32)?;
    let valid = text.is_empty()
        || (text.len() == 25
            && Timestamp::parse(&text[..19]).is_ok()
            && text.as_bytes()[19] == b' '
            && matches!(text.as_bytes()[20], b'+' | b'-')
            && text.as_bytes()[21..].iter().all(u8::is_ascii_digit)
            && text[21..23].parse::<u8>().is_ok_and(|h| h <= 14)
            && text[23..25].parse::<u8>().is_ok_and(|m| m < 60));
    if !valid {
        row.fail_field(
            spec,
            format!("{name} \"{text}\" must be empty or YYYY-MM-DD HH:MM:SS +zzzz"),
        );
        return None;
    }
    Some(text.to_owned())
}

fn parse_card(row: &mut Row<'_, '_>) -> Option<Card> {
    let id = row.whole(ID, None, 0, u64::MAX);
    let number = digits(row, NUMBER, "number", false);
    let pin = digits(row, PIN, "pin", true);
    let group_id = row.whole(CARD_GROUP, None, 0, u64::MAX);
    let name = row.text(NAME, 128);
    let batch_number = row.text(BATCH, 64);
    let callerid = row.text(CALLERID, 64);
    let balance = row.decimal(BALANCE, true, Some(Decimal::ZERO));
    let min_balance = row.decimal(MIN_BALANCE, true, Some(Decimal::ZERO));
    let first_use = zoned_time(row, FIRST_USE, "first_use");
    let daily_charge_paid_till = zoned_time(row, PAID_TILL, "daily_charge_paid_till");
    let sold = row.flag(SOLD);
    let language = row.text(LANGUAGE, 16);
    let distributor_id = if row.raw(DISTRIBUTOR).0.is_empty() {
        Some(None)
    } else {
        row.whole(DISTRIBUTOR, None, 0, u64::MAX).map(Some)
    };
    let hidden = row.flag(HIDDEN);
    if !row.ok() {
        return None;
    }
    let (balance, min_balance) = (balance?, min_balance?);
    Some(Card {
        id: id?,
        number: number?,
        pin: pin?,
        group_id: group_id?,
        name: name?.to_owned(),
        batch_number: batch_number?.to_owned(),
        callerid: callerid?.to_owned(),
        csv_balance: balance,
        live: BalanceCell::new(balance),
        min_balance,
        min_balance_f64: min_balance.to_f64(),
        first_use: first_use?,
        daily_charge_paid_till: daily_charge_paid_till?,
        sold: sold?,
        language: language?.to_owned(),
        distributor_id: distributor_id?,
        hidden: hidden?,
        line: row.line(),
    })
}
