//! `users.csv` (docs/formats.md): who may call the API, whose balances and rates it answers.
//!
//! Each row is validated on its own here; what needs the whole file or other files (unique
//! names, owners, tariffs, currencies, exactly one admin) is checked in `accounts::load`.

use crate::input::{read_csv, ColumnSpec, ErrorList, Row};
use std::sync::Arc;

use super::balance::BalanceCell;
use crate::money::Decimal;
use crate::tariff::is_valid_tariff_name;

/// A user's role (docs/formats.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Accountant,
    Reseller,
    User,
}

impl Role {
    /// The role as written in `users.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Accountant => "accountant",
            Role::Reseller => "reseller",
            Role::User => "user",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "admin" => Role::Admin,
            "accountant" => Role::Accountant,
            "reseller" => Role::Reseller,
            "user" => Role::User,
            _ => return None,
        })
    }
}

/// Permissions an accountant or reseller may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions {
    pub see_financial_data: bool,
    pub manage_tariffs: bool,
    pub manage_cards: bool,
    pub calling_cards: bool,
}

/// A `balance.php` password: plain text, or the SHA-256 of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    Plain(String),
    Sha256([u8; 32]),
}

/// How far below zero a user's balance may go (users.csv `credit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credit {
    /// Down to minus this amount, in the default currency (0: prepaid).
    Limited(Decimal),
    /// No limit (`-1` in the file).
    Unlimited,
}

/// One user, validated on its own.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub role: Role,
    pub owner_id: u64,
    pub tariff: Option<String>,
    pub custom_tariff: Option<String>,
    /// Currency code as written; `None` means the default currency.
    pub currency: Option<String>,
    /// The `balance` column as read, in the default currency: the opening balance of a user
    /// the ledger has not seen yet, and nothing more once it has (see [`User::balance`]).
    pub csv_balance: Decimal,
    /// The live balance (the ledger's, once it has attached these accounts).
    pub(crate) live: Arc<BalanceCell>,
    pub initial_balance: Decimal,
    pub unique_hash: Option<String>,
    pub api_key: Option<String>,
    pub password: Option<Password>,
    /// E.164 numbers, digits only.
    pub numbers: Vec<String>,
    pub first_name: String,
    pub last_name: String,
    pub permissions: Permissions,
    /// How far below zero the balance may go (0 unless the file says).
    pub credit: Credit,
    /// Where the row is, for errors found across rows or files.
    pub line: u64,
    /// `custom_tariff` then `tariff` as positions in [`super::Accounts::tariff_names`], set
    /// when the accounts are built: a request reads the names from that small, shared list
    /// instead of following this user's own strings (a cache miss each).
    pub(crate) tariff_ids: [Option<u32>; 2],
}

impl User {
    /// The balance now, in the default currency: the ledger's when one is attached, else the
    /// file's.
    #[inline]
    pub fn balance(&self) -> Decimal {
        self.live.get()
    }

    /// The live balance's cell, for a [`crate::ledger::Change`] to this user.
    pub fn live(&self) -> &Arc<BalanceCell> {
        &self.live
    }

    /// "First Last" when either is set, else the username (how MOR shows a distributor).
    pub fn display_name(&self) -> String {
        let full = format!("{} {}", self.first_name, self.last_name);
        match full.trim() {
            "" => self.username.clone(),
            name => name.to_owned(),
        }
    }
}

pub(crate) const ID: usize = 0;
pub(crate) const USERNAME: usize = 1;
pub(crate) const ROLE: usize = 2;
pub(crate) const OWNER_ID: usize = 3;
pub(crate) const TARIFF: usize = 4;
pub(crate) const CUSTOM_TARIFF: usize = 5;
pub(crate) const CURRENCY: usize = 6;
const BALANCE: usize = 7;
const INITIAL_BALANCE: usize = 8;
pub(crate) const UNIQUE_HASH: usize = 9;
pub(crate) const API_KEY: usize = 10;
const PASSWORD: usize = 11;
const NUMBERS: usize = 12;
const FIRST_NAME: usize = 13;
const LAST_NAME: usize = 14;
const PERMISSIONS: usize = 15;
const CREDIT: usize = 16;

pub(crate) const COLUMNS: [ColumnSpec; 17] = [
    ColumnSpec {
        name: "id",
        required: true,
    },
    ColumnSpec {
        name: "username",
        required: true,
    },
    ColumnSpec {
        name: "role",
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
    ColumnSpec {
        name: "custom_tariff",
        required: false,
    },
    ColumnSpec {
        name: "currency",
        required: false,
    },
    ColumnSpec {
        name: "balance",
        required: false,
    },
    ColumnSpec {
        name: "initial_balance",
        required: false,
    },
    ColumnSpec {
        name: "unique_hash",
        required: false,
    },
    ColumnSpec {
        name: "api_key",
        required: false,
    },
    ColumnSpec {
        name: "password",
        required: false,
    },
    ColumnSpec {
        name: "numbers",
        required: false,
    },
    ColumnSpec {
        name: "first_name",
        required: false,
    },
    ColumnSpec {
        name: "last_name",
        required: false,
    },
    ColumnSpec {
        name: "permissions",
        required: false,
    },
    ColumnSpec {
        name: "credit",
        required: false,
    },
];

/// Reads `users.csv` row by row; the 1-based column of each spec is returned for errors
/// found later. `None` when the header was unusable.
pub(crate) fn read<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
) -> Option<(Vec<User>, Vec<u64>)> {
    let mut users = Vec::new();
    let columns = read_csv(
        input,
        file,
        &COLUMNS,
        errors,
        warnings,
        |row| {
            if let Some(user) = parse_user(row) {
                users.push(user);
            }
        },
        |_| {},
    )?;
    Some((users, columns.numbers()))
}

/// An optional tariff name in column `spec` (called `name` in messages): `Some(None)` when
/// empty, `None` (with an error recorded) when it cannot be a tariff name.
pub(crate) fn tariff_name(
    row: &mut Row<'_, '_>,
    spec: usize,
    name: &str,
) -> Option<Option<String>> {
    let text = row.text(spec, 64)?;
    if !text.is_empty() && !is_valid_tariff_name(text) {
        row.fail_field(
            spec,
            format!("{name} \"{text}\" is not a tariff name (1-64 of A-Za-z0-9_-)"),
        );
        return None;
    }
    optional(Some(text))
}

fn optional(text: Option<&str>) -> Option<Option<String>> {
    text.map(|t| (!t.is_empty()).then(|| t.to_owned()))
}

fn parse_user(row: &mut Row<'_, '_>) -> Option<User> {
    let id = row.whole(ID, None, 0, u64::MAX);
    let username = row.required_text(USERNAME, 64);
    if let Some(name) = username.filter(|n| {
        !n.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'@' | b'-'))
    }) {
        row.fail_field(
            USERNAME,
            format!("username \"{name}\" may hold only A-Z a-z 0-9 _ . @ -"),
        );
    }
    let role_text = row.required_text(ROLE, 16);
    let role = role_text.and_then(Role::parse);
    if let (Some(text), None) = (role_text, role) {
        row.fail_field(
            ROLE,
            format!("role \"{text}\" must be admin, accountant, reseller or user"),
        );
    }
    let owner_id = row.whole(OWNER_ID, None, 0, u64::MAX);
    let tariff = tariff_name(row, TARIFF, "tariff");
    let custom_tariff = tariff_name(row, CUSTOM_TARIFF, "custom_tariff");
    let currency = optional(row.text(CURRENCY, 16));
    let balance = row.decimal(BALANCE, true, Some(Decimal::ZERO));
    let initial_balance = row.decimal(INITIAL_BALANCE, true, balance);
    let token = |row: &mut Row<'_, '_>, spec: usize, name: &str| {
        let text = row.text(spec, 128)?;
        if text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            row.fail_field(
                spec,
                format!("{name} must not contain spaces or control characters"),
            );
            return None;
        }
        optional(Some(text))
    };
    let unique_hash = token(row, UNIQUE_HASH, "unique_hash");
    let api_key = token(row, API_KEY, "api_key");
    let password = match token(row, PASSWORD, "password") {
        Some(Some(text)) => {
            match text.strip_prefix("sha256:") {
                None => Some(Some(Password::Plain(text))),
                Some(hex) => {
                    match decode_sha256(hex) {
                        Some(digest) => Some(Some(Password::Sha256(digest))),
                        None => {
                            row.fail_field(PASSWORD, "password \"sha256:...\" must be followed by 64 lowercase hex digits".into());
                            None
                        }
                    }
                }
            }
        }
        other => other.map(|_| None),
    };
    let numbers = row.text(NUMBERS, 4096).and_then(|text| {
        let numbers: Vec<String> = text.split_ascii_whitespace().map(str::to_owned).collect();
        match numbers
            .iter()
            .find(|n| n.is_empty() || n.len() > 20 || !n.bytes().all(|b| b.is_ascii_digit()))
        {
            Some(bad) => {
                row.fail_field(NUMBERS, format!("number \"{bad}\" must be 1-20 digits"));
                None
            }
            None => Some(numbers),
        }
    });
    let first_name = row.text(FIRST_NAME, 128);
    let last_name = row.text(LAST_NAME, 128);
    let permissions = row.text(PERMISSIONS, 256).and_then(|text| {
        let mut permissions = Permissions::default();
        for word in text.split_ascii_whitespace() {
            let (flag, allowed) = match word {
                "see_financial_data" => (&mut permissions.see_financial_data, Role::Accountant),
                "manage_tariffs" => (&mut permissions.manage_tariffs, Role::Accountant),
                "manage_cards" => (&mut permissions.manage_cards, Role::Accountant),
                "calling_cards" => (&mut permissions.calling_cards, Role::Reseller),
                _ => {
                    row.fail_field(PERMISSIONS, format!("permission \"{word}\" is unknown (see_financial_data, manage_tariffs, manage_cards, calling_cards)"));
                    return None;
                }
            };
            if role.is_some_and(|r| r != allowed) {
                let holder = if allowed == Role::Accountant { "accountants" } else { "resellers" };
                row.fail_field(PERMISSIONS, format!("permission \"{word}\" is for {holder} only"));
                return None;
            }
            *flag = true;
        }
        Some(permissions)
    });
    // -1 (however written: -1.0, -1.00...) is no limit; any other negative is an error.
    let credit = row
        .decimal(CREDIT, true, Some(Decimal::ZERO))
        .and_then(|credit| {
            if credit == Decimal::new(-1, 0) {
                Some(Credit::Unlimited)
            } else if credit.is_negative() {
                let message = format!(
                    "credit \"{credit}\" must be a decimal of at least 0, or -1 for no limit"
                );
                row.fail_field(CREDIT, message);
                None
            } else {
                Some(Credit::Limited(credit))
            }
        });
    if role.is_some_and(|r| r != Role::Reseller) && api_key.as_ref().is_some_and(Option::is_some) {
        row.fail_field(API_KEY, "api_key is for resellers only".into());
    }
    if !row.ok() {
        return None;
    }
    Some(User {
        id: id?,
        username: username?.to_owned(),
        role: role?,
        owner_id: owner_id?,
        tariff: tariff?,
        custom_tariff: custom_tariff?,
        currency: currency?,
        csv_balance: balance?,
        live: BalanceCell::new(balance?),
        initial_balance: initial_balance?,
        unique_hash: unique_hash?,
        api_key: api_key?,
        password: password?,
        numbers: numbers?,
        first_name: first_name?.to_owned(),
        last_name: last_name?.to_owned(),
        permissions: permissions?,
        credit: credit?,
        line: row.line(),
        tariff_ids: [None, None],
    })
}

fn decode_sha256(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(digest)
}
