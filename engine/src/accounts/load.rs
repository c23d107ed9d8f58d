//! Loading the account files: each read with the tariff reader's discipline
//! (`file:line:column: message`, every error listed), then checked across rows and files
//! (`checks`), then indexed for every lookup the API makes. Nothing is returned unless all of
//! it holds.

use std::path::{Path, PathBuf};

use super::cards::{self, Card, CardGroup};
use super::checks::Checker;
use super::currencies;
use super::index::TextIndex;
use super::table::{CurrencyFile, Table};
use super::users::{self, User};
use super::{Accounts, LoadFailure};
use crate::files::OpenError;
use crate::input::ErrorList;

/// Where the account files are.
#[derive(Debug, Clone)]
pub struct AccountFiles {
    pub users: PathBuf,
    pub cards: PathBuf,
    pub card_groups: PathBuf,
    pub currencies: PathBuf,
}

impl AccountFiles {
    /// The files under their usual names in one folder: `users.csv`, `cards.csv`,
    /// `card_groups.csv`, `currencies.csv`.
    pub fn in_folder(dir: &Path) -> AccountFiles {
        AccountFiles {
            users: dir.join("users.csv"),
            cards: dir.join("cards.csv"),
            card_groups: dir.join("card_groups.csv"),
            currencies: dir.join("currencies.csv"),
        }
    }
}

/// Opens an account file: a regular file only, never a blocking open (see `files`), so a
/// FIFO renamed over the path after the reload checked it is refused, not waited on.
fn open(path: &Path, errors: &mut ErrorList) -> Option<std::fs::File> {
    match crate::files::open_regular(path) {
        Ok((file, _)) => Some(file),
        Err(error) => {
            let message = match error {
                OpenError::Io(error) => format!("cannot open file: {error}"),
                not_regular => format!("{not_regular}; data files must be regular files"),
            };
            errors.add(&path.display().to_string(), 1, 1, message);
            None
        }
    }
}

/// Loads and cross-checks the account files. `has_tariff` says whether the artifact holds a
/// tariff of that name. Returns the accounts and the warnings (unknown columns).
///
/// The steps, each named below: read the four files (each row checked on its own); then,
/// only when all read cleanly, index and check users, card groups and cards in that order
/// (the order errors are found in, kept for the error list's limit). Nothing is returned
/// unless every step found no error.
pub fn load(
    files: &AccountFiles,
    default_currency: &str,
    has_tariff: &dyn Fn(&str) -> bool,
) -> Result<(Accounts, Vec<String>), LoadFailure> {
    let mut errors = ErrorList::new();
    let mut warnings = Vec::new();
    let fail = |mut errors: ErrorList, warnings| {
        errors.sort();
        Err(LoadFailure { errors, warnings })
    };
    let read = read_files(files, default_currency, &mut errors, &mut warnings);
    let Some(ReadFiles {
        currencies,
        users,
        groups,
        cards,
    }) = read.filter(|_| errors.is_empty())
    else {
        return fail(errors, warnings);
    };
    let mut check = Checker {
        errors: &mut errors,
    };
    let user_index = check.users(&users);
    let admin = check.one_admin(&users);
    check.user_links(&users, &user_index.by_id, &currencies, has_tariff);
    let (groups, group_by_id) = check.groups(groups, &users, &user_index.by_id, has_tariff);
    let (cards, card_index) = check.cards(cards, &group_by_id, &groups.file, &user_index.by_id);
    let (true, Some(admin)) = (errors.is_empty(), admin) else {
        return fail(errors, warnings);
    };
    // The load-time maps found the repeats; requests get the compact indexes.
    drop((
        user_index.by_name,
        user_index.by_unique_hash,
        card_index.by_number,
    ));
    let tariff_names = tariff_names(&users.rows, &groups.rows);
    let mut users = users;
    for user in &mut users.rows {
        user.tariff_ids = [&user.custom_tariff, &user.tariff].map(|name| {
            let name = name.as_deref()?;
            let position = tariff_names
                .binary_search_by(|n| n.as_str().cmp(name))
                .ok()?;
            u32::try_from(position).ok()
        });
    }
    let accounts = Accounts {
        user_by_name: TextIndex::new(&users.rows, |u| Some(u.username.as_str())),
        user_by_unique_hash: TextIndex::new(&users.rows, |u| u.unique_hash.as_deref()),
        card_by_number: TextIndex::new(&cards.rows, |c| Some(c.number.as_str())),
        tariff_names,
        currencies: currencies.currencies,
        admin,
        users: users.rows,
        groups: groups.rows,
        cards: cards.rows,
        user_by_id: user_index.by_id,
        group_by_id,
        card_by_pin: card_index.by_pin,
    };
    Ok((accounts, warnings))
}

/// The four files, each read and its rows checked on their own.
struct ReadFiles {
    currencies: CurrencyFile,
    users: Table<User>,
    groups: Table<CardGroup>,
    cards: Table<Card>,
}

/// Step 1: reads every file (all of them, so that every file's errors are listed); `None`
/// when one could not be read at all.
fn read_files(
    files: &AccountFiles,
    default_currency: &str,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
) -> Option<ReadFiles> {
    let label = |path: &PathBuf| path.display().to_string();
    let (currencies_file, users_file, groups_file, cards_file) = (
        label(&files.currencies),
        label(&files.users),
        label(&files.card_groups),
        label(&files.cards),
    );
    let currencies = open(&files.currencies, errors).and_then(|f| {
        currencies::read(
            f,
            &currencies_file,
            Some(default_currency),
            errors,
            warnings,
        )
    });
    let users =
        open(&files.users, errors).and_then(|f| users::read(f, &users_file, errors, warnings));
    let groups = open(&files.card_groups, errors)
        .and_then(|f| cards::read_groups(f, &groups_file, errors, warnings));
    let cards = open(&files.cards, errors)
        .and_then(|f| cards::read_cards(f, &cards_file, errors, warnings));
    Some(ReadFiles {
        currencies: CurrencyFile {
            file: currencies_file,
            currencies: currencies?,
        },
        users: Table::new(users_file, users?),
        groups: Table::new(groups_file, groups?),
        cards: Table::new(cards_file, cards?),
    })
}

/// Every tariff the users and card groups name, sorted, once each.
fn tariff_names(users: &[User], groups: &[CardGroup]) -> Vec<String> {
    let mut names: Vec<String> = users
        .iter()
        .flat_map(|u| [&u.tariff, &u.custom_tariff])
        .chain(groups.iter().map(|g| &g.tariff))
        .filter_map(|name| name.clone())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}
