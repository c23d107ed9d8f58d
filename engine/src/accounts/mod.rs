//! Accounts: currencies, users, card groups and calling cards (docs/formats.md), validated
//! together and indexed for every lookup the API makes.
//!
//! Each file is read with the tariff reader's discipline (`file:line:column: message`, every
//! error listed); then what spans rows or files is checked: unique ids, usernames, secrets and
//! card numbers, exactly one admin, owners that exist and may own, tariffs that exist in the
//! artifact, currencies that exist. Nothing is returned unless all of it holds.
//!
//! Messages never quote a secret (`api_key`, `unique_hash`, `password`, a card's `pin`): they
//! reach the log and the `/reload` reply, so they name the line and column instead. Who may
//! see whom once loaded is [`visibility`]'s business.

mod balance;
mod cards;
mod currencies;
mod index;
mod key;
mod users;
pub mod visibility;

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;
use std::path::{Path, PathBuf};

pub use balance::BalanceCell;
pub use cards::{Card, CardGroup};
pub use currencies::{is_valid_code, read_rates, Currencies, Currency};
pub use key::Account;
pub use users::{Credit, Password, Permissions, Role, User};

use crate::files::OpenError;
use crate::input::ErrorList;
use index::TextIndex;

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

/// Why accounts could not be loaded: every error, and the warnings seen on the way.
#[derive(Debug)]
pub struct LoadFailure {
    pub errors: ErrorList,
    pub warnings: Vec<String>,
}

/// What a card PIN finds: one card, or several (then `balance.php` finds none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PinOwner {
    One(usize),
    Shared,
}

/// Validated accounts with their indexes, built once per snapshot.
#[derive(Debug)]
pub struct Accounts {
    pub currencies: Currencies,
    users: Vec<User>,
    /// By id.
    groups: Vec<CardGroup>,
    /// By id.
    cards: Vec<Card>,
    admin: usize,
    // Indexes hash with Fx, not SipHash: keys come from our own files, and requests only
    // look keys up, so there is no table an attacker can fill with colliding keys.
    user_by_id: HashMap<u64, usize, FxBuildHasher>,
    // The text keys requests look up (see `index`): one cache miss fewer than a `HashMap`.
    user_by_name: TextIndex,
    user_by_unique_hash: TextIndex,
    group_by_id: HashMap<u64, usize, FxBuildHasher>,
    card_by_number: TextIndex,
    card_by_pin: HashMap<String, PinOwner, FxBuildHasher>,
    /// Every tariff a user (`tariff` or `custom_tariff`) or a card group (`tariff`) names,
    /// sorted, without repeats: what a new artifact must hold for these accounts to stay
    /// valid with it.
    tariff_names: Vec<String>,
}

impl Accounts {
    /// Every tariff the users and card groups name, sorted, once each.
    pub fn tariff_names(&self) -> &[String] {
        &self.tariff_names
    }

    /// The names of the tariffs that price `user`'s calls, in the order they are searched:
    /// its `custom_tariff`, then its `tariff`.
    #[inline]
    pub fn tariffs_of(&self, user: &User) -> [Option<&str>; 2] {
        user.tariff_ids.map(|id| {
            let id = usize::try_from(id?).ok()?;
            self.tariff_names.get(id).map(String::as_str)
        })
    }

    /// Every user, in file order.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The one admin.
    pub fn admin(&self) -> &User {
        &self.users[self.admin]
    }

    pub fn user_by_id(&self, id: u64) -> Option<&User> {
        self.user_by_id.get(&id).map(|&i| &self.users[i])
    }

    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        let users = &self.users;
        self.user_by_name
            .get(username, |i| Some(users[i].username.as_str()))
            .map(|i| &users[i])
    }

    pub fn user_by_unique_hash(&self, unique_hash: &str) -> Option<&User> {
        let users = &self.users;
        self.user_by_unique_hash
            .get(unique_hash, |i| users[i].unique_hash.as_deref())
            .map(|i| &users[i])
    }

    /// Card groups ordered by id.
    pub fn card_groups(&self) -> &[CardGroup] {
        &self.groups
    }

    pub fn card_group(&self, id: u64) -> Option<&CardGroup> {
        self.group_by_id.get(&id).map(|&i| &self.groups[i])
    }

    /// Cards ordered by id.
    pub fn cards(&self) -> &[Card] {
        &self.cards
    }

    pub fn card_by_number(&self, number: &str) -> Option<&Card> {
        let cards = &self.cards;
        self.card_by_number
            .get(number, |i| Some(cards[i].number.as_str()))
            .map(|i| &cards[i])
    }

    /// Every account's ledger name, file balance and live balance cell, for the ledger to
    /// attach its cells (before the accounts are shared).
    pub(crate) fn live_cells_mut(
        &mut self,
    ) -> impl Iterator<Item = (Account, crate::money::Decimal, &mut Arc<BalanceCell>)> {
        let users = self.users.iter_mut().map(|user| {
            let account = Account::User(user.id);
            (account, user.csv_balance, &mut user.live)
        });
        let cards = self.cards.iter_mut().map(|card| {
            let account = Account::Card(card.id);
            (account, card.csv_balance, &mut card.live)
        });
        users.chain(cards)
    }

    /// The card with this PIN, when exactly one card has it.
    pub fn card_by_pin(&self, pin: &str) -> Option<&Card> {
        match self.card_by_pin.get(pin)? {
            PinOwner::One(i) => Some(&self.cards[*i]),
            PinOwner::Shared => None,
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
    let Some(Read {
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

/// One file's valid rows, with its name and the 1-based column of each spec (for errors
/// found across rows or files).
struct Table<T> {
    file: String,
    rows: Vec<T>,
    columns: Vec<u64>,
}

impl<T> Table<T> {
    fn new(file: String, (rows, columns): (Vec<T>, Vec<u64>)) -> Table<T> {
        Table {
            file,
            rows,
            columns,
        }
    }

    fn column(&self, spec: usize) -> u64 {
        self.columns[spec]
    }
}

/// The currencies and the file they came from.
struct CurrencyFile {
    file: String,
    currencies: Currencies,
}

/// The four files, each read and its rows checked on their own.
struct Read {
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
) -> Option<Read> {
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
    Some(Read {
        currencies: CurrencyFile {
            file: currencies_file,
            currencies: currencies?,
        },
        users: Table::new(users_file, users?),
        groups: Table::new(groups_file, groups?),
        cards: Table::new(cards_file, cards?),
    })
}

/// The user indexes the API looks users up by.
struct UserIndex {
    by_id: HashMap<u64, usize, FxBuildHasher>,
    by_name: HashMap<String, usize, FxBuildHasher>,
    by_unique_hash: HashMap<String, usize, FxBuildHasher>,
}

/// The card indexes the API looks cards up by.
struct CardIndex {
    by_number: HashMap<String, usize, FxBuildHasher>,
    by_pin: HashMap<String, PinOwner, FxBuildHasher>,
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

/// A key column's name, and whether its values may be quoted in an error message.
#[derive(Clone, Copy)]
enum Key {
    Shown(&'static str),
    /// A credential (`api_key`, `unique_hash`): the message names the lines only.
    Secret(&'static str),
}

/// Cross-row and cross-file checks that report into one error list.
struct Checker<'e> {
    errors: &'e mut ErrorList,
}

impl Checker<'_> {
    /// Step 2: users are unique by id, username, `unique_hash` and `api_key`; returns the
    /// indexes.
    fn users(&mut self, users: &Table<User>) -> UserIndex {
        let line = |u: &User| u.line;
        let by_id = self.unique(users, users::ID, Key::Shown("id"), |u| Some(u.id), line);
        let by_name = self.unique(
            users,
            users::USERNAME,
            Key::Shown("username"),
            |u| Some(u.username.clone()),
            line,
        );
        let by_unique_hash = self.unique(
            users,
            users::UNIQUE_HASH,
            Key::Secret("unique_hash"),
            |u| u.unique_hash.clone(),
            line,
        );
        self.unique(
            users,
            users::API_KEY,
            Key::Secret("api_key"),
            |u| u.api_key.clone(),
            line,
        );
        UserIndex {
            by_id,
            by_name,
            by_unique_hash,
        }
    }

    /// Step 3: exactly one user is the admin; its position.
    fn one_admin(&mut self, users: &Table<User>) -> Option<usize> {
        let mut admins = (0..users.rows.len()).filter(|&i| users.rows[i].role == Role::Admin);
        let Some(first) = admins.next() else {
            self.errors.add(
                &users.file,
                1,
                1,
                "no user has role admin; exactly one must",
            );
            return None;
        };
        for other in admins {
            self.errors.add(
                &users.file,
                users.rows[other].line,
                users.column(users::ROLE),
                format!(
                    "a second admin (the first is at line {}); exactly one is allowed",
                    users.rows[first].line
                ),
            );
        }
        Some(first)
    }

    /// Step 4: each user's owner exists and may own it; its tariffs are in the artifact and
    /// its currency in the currencies file.
    fn user_links(
        &mut self,
        users: &Table<User>,
        user_by_id: &HashMap<u64, usize, FxBuildHasher>,
        currencies: &CurrencyFile,
        has_tariff: &dyn Fn(&str) -> bool,
    ) {
        for user in &users.rows {
            let owner = user_by_id.get(&user.owner_id).map(|&i| &users.rows[i]);
            if let Some(message) = owner_problem(user, owner) {
                self.errors.add(
                    &users.file,
                    user.line,
                    users.column(users::OWNER_ID),
                    message,
                );
            }
            for (spec, name, value) in [
                (users::TARIFF, "tariff", &user.tariff),
                (users::CUSTOM_TARIFF, "custom_tariff", &user.custom_tariff),
            ] {
                if let Some(tariff) = value.as_deref().filter(|t| !has_tariff(t)) {
                    self.errors.add(
                        &users.file,
                        user.line,
                        users.column(spec),
                        format!("{name} \"{tariff}\" is not in the tariff artifact"),
                    );
                }
            }
            if let Some(code) = user
                .currency
                .as_deref()
                .filter(|c| currencies.currencies.get(c).is_none())
            {
                self.errors.add(
                    &users.file,
                    user.line,
                    users.column(users::CURRENCY),
                    format!("currency \"{code}\" is not in {}", currencies.file),
                );
            }
        }
    }

    /// Step 5: card groups, sorted by id, are unique by id, owned by the admin or a reseller,
    /// and name a tariff the artifact holds; returns them and their index.
    fn groups(
        &mut self,
        mut groups: Table<CardGroup>,
        users: &Table<User>,
        user_by_id: &HashMap<u64, usize, FxBuildHasher>,
        has_tariff: &dyn Fn(&str) -> bool,
    ) -> (Table<CardGroup>, HashMap<u64, usize, FxBuildHasher>) {
        groups.rows.sort_by_key(|g| g.id);
        let by_id = self.unique(
            &groups,
            cards::GROUP_ID,
            Key::Shown("id"),
            |g| Some(g.id),
            |g| g.line,
        );
        for group in &groups.rows {
            let owner = user_by_id.get(&group.owner_id).map(|&i| &users.rows[i]);
            if !owner.is_some_and(|o| matches!(o.role, Role::Admin | Role::Reseller)) {
                self.errors.add(
                    &groups.file,
                    group.line,
                    groups.column(cards::GROUP_OWNER),
                    format!("owner_id {} is not the admin or a reseller", group.owner_id),
                );
            }
            if let Some(tariff) = group.tariff.as_deref().filter(|t| !has_tariff(t)) {
                self.errors.add(
                    &groups.file,
                    group.line,
                    groups.column(cards::GROUP_TARIFF),
                    format!("tariff \"{tariff}\" is not in the tariff artifact"),
                );
            }
        }
        (groups, by_id)
    }

    /// Step 6: cards, sorted by id, are unique by id and number, in a group that exists,
    /// with a distributor that exists; returns them, the index by number and the index by
    /// PIN (a shared PIN finds no card).
    fn cards(
        &mut self,
        mut cards: Table<Card>,
        group_by_id: &HashMap<u64, usize, FxBuildHasher>,
        groups_file: &str,
        user_by_id: &HashMap<u64, usize, FxBuildHasher>,
    ) -> (Table<Card>, CardIndex) {
        cards.rows.sort_by_key(|c| c.id);
        let line = |c: &Card| c.line;
        self.unique(&cards, cards::ID, Key::Shown("id"), |c| Some(c.id), line);
        let by_number = self.unique(
            &cards,
            cards::NUMBER,
            Key::Shown("number"),
            |c| Some(c.number.clone()),
            line,
        );
        let mut by_pin: HashMap<String, PinOwner, FxBuildHasher> =
            HashMap::with_capacity_and_hasher(cards.rows.len(), FxBuildHasher);
        for (index, card) in cards.rows.iter().enumerate() {
            by_pin
                .entry(card.pin.clone())
                .and_modify(|owner| *owner = PinOwner::Shared)
                .or_insert(PinOwner::One(index));
            if !group_by_id.contains_key(&card.group_id) {
                self.errors.add(
                    &cards.file,
                    card.line,
                    cards.column(cards::CARD_GROUP),
                    format!("group_id {} is not in {groups_file}", card.group_id),
                );
            }
            if let Some(id) = card
                .distributor_id
                .filter(|id| !user_by_id.contains_key(id))
            {
                self.errors.add(
                    &cards.file,
                    card.line,
                    cards.column(cards::DISTRIBUTOR),
                    format!("distributor_id {id} is not the id of any user"),
                );
            }
        }
        (cards, CardIndex { by_number, by_pin })
    }

    /// Indexes a table's rows by `key` (rows without a key are skipped); a repeated key is an
    /// error at the later row naming the earlier line. A [`Key::Secret`] value is never
    /// written in the message: errors reach the log and the `/reload` reply.
    fn unique<T, K: std::hash::Hash + Eq + std::fmt::Display>(
        &mut self,
        table: &Table<T>,
        spec: usize,
        name: Key,
        key: impl Fn(&T) -> Option<K>,
        line: impl Fn(&T) -> u64,
    ) -> HashMap<K, usize, FxBuildHasher> {
        let items = &table.rows;
        let mut index: HashMap<K, usize, FxBuildHasher> =
            HashMap::with_capacity_and_hasher(items.len(), FxBuildHasher);
        for (position, item) in items.iter().enumerate() {
            let Some(key) = key(item) else { continue };
            if let Some(&earlier) = index.get(&key) {
                let (first, later) = if line(&items[earlier]) <= line(item) {
                    (earlier, position)
                } else {
                    (position, earlier)
                };
                let first = line(&items[first]);
                let message = match name {
                    Key::Shown(name) => format!("{name} \"{key}\" is already used at line {first}"),
                    Key::Secret(name) => format!(
                        "{name} is already used at line {first} (a secret: its value is not shown)"
                    ),
                };
                self.errors.add(
                    &table.file,
                    line(&items[later]),
                    table.column(spec),
                    message,
                );
                continue;
            }
            index.insert(key, position);
        }
        index
    }
}

/// Why `user` may not have `owner` (its `owner_id` resolved, or `None` when no user has that
/// id), if it may not: the admin owns itself, accountants and resellers belong to the admin,
/// users to the admin or a reseller.
fn owner_problem(user: &User, owner: Option<&User>) -> Option<String> {
    match (user.role, owner) {
        (_, None) => Some(format!(
            "owner_id {} is not the id of any user",
            user.owner_id
        )),
        (Role::Admin, Some(_)) if user.owner_id != user.id => {
            Some(format!("the admin must own itself (owner_id {})", user.id))
        }
        (Role::Accountant | Role::Reseller, Some(owner)) if owner.role != Role::Admin => {
            Some(format!(
                "owner_id {} is not the admin; accountants and resellers belong to the admin",
                user.owner_id
            ))
        }
        (Role::User, Some(owner)) if !matches!(owner.role, Role::Admin | Role::Reseller) => {
            Some(format!(
                "owner_id {} is a user with role {}; users belong to the admin or a reseller",
                user.owner_id,
                owner.role.name()
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::money::Decimal;
    use crate::testing::{account_files_in, demo_account_files, is_demo_tariff};

    /// The reload checks a file's type by path before loading; a FIFO renamed over the path
    /// after that check must still be refused by the open itself, not waited on for ever.
    #[test]
    fn an_account_file_that_is_a_fifo_is_refused_by_the_open_itself() {
        let dir = tempfile::tempdir().unwrap();
        crate::testing::write_demo_data(dir.path());
        let users = dir.path().join("users.csv");
        std::fs::remove_file(&users).unwrap();
        let made = std::process::Command::new("mkfifo").arg(&users).status();
        if !made.is_ok_and(|status| status.success()) {
            eprintln!("mkfifo is not available; skipped");
            return;
        }
        let files = crate::testing::account_files_in(dir.path());
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = load(&files, "USD", &|_| true).map(|_| ());
            let _ = sender.send(result.map_err(|failure| failure.errors.to_string()));
        });
        let result = receiver
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("loading an account file that is a FIFO blocked");
        let message = result.expect_err("a FIFO is not an account file");
        assert!(
            message.contains("users.csv:1:1: is a FIFO (named pipe), not a regular file"),
            "{message}"
        );
    }

    #[test]
    fn tariffs_of_names_every_users_custom_then_main_tariff() {
        let accounts = crate::testing::demo_accounts();
        let mut seen = 0;
        for user in accounts.users() {
            let expected = [user.custom_tariff.as_deref(), user.tariff.as_deref()];
            assert_eq!(accounts.tariffs_of(user), expected, "{}", user.username);
            seen += expected.iter().flatten().count();
        }
        assert!(
            seen >= 3,
            "the demo users name too few tariffs to test this"
        );
    }

    #[test]
    fn the_demo_accounts_load_with_their_indexes() {
        let (accounts, warnings) = load(&demo_account_files(), "USD", &is_demo_tariff).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(accounts.admin().username, "admin");
        let alice = accounts.user_by_username("alice").unwrap();
        assert_eq!(
            (alice.role, alice.currency.as_deref()),
            (Role::User, Some("EUR"))
        );
        assert_eq!(alice.custom_tariff.as_deref(), Some("vip_custom"));
        assert_eq!(alice.balance().to_string(), "60");
        assert_eq!(alice.numbers, vec!["37061234567", "37052000000"]);
        assert_eq!(accounts.user_by_unique_hash("a1b2c3d4e5").unwrap().id, 3);
        let dave = accounts.user_by_id(6).unwrap();
        assert!(matches!(dave.password, Some(Password::Sha256(_))));
        let reseller = accounts.user_by_username("reseller1").unwrap();
        assert!(reseller.permissions.calling_cards);
        assert_eq!(reseller.api_key.as_deref(), Some("resellerkey"));
        let card = accounts.card_by_number("1111111119").unwrap();
        assert_eq!((card.id, card.balance_f64()), (26, 10.0840336134454));
        assert_eq!(card.daily_charge_paid_till, "2015-11-05 02:00:00 +0200");
        let distributor = accounts.user_by_id(card.distributor_id.unwrap()).unwrap();
        assert_eq!(distributor.display_name(), "Test User #1");
        assert_eq!(accounts.card_by_pin("3001").unwrap().name, "Card & Co");
        assert_eq!(
            accounts.cards().iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![26, 27, 28, 40]
        );
        assert_eq!(accounts.card_group(2).unwrap().owner_id, 2);
        assert_eq!(
            accounts.currencies.get("gbp").unwrap().rate.to_string(),
            "0.79"
        );
    }

    /// Writes the four files (header rows included by the caller) and loads them.
    fn load_texts(users: &str, groups: &str, cards: &str) -> Result<Accounts, String> {
        let dir = tempfile::tempdir().unwrap();
        let files = account_files_in(dir.path());
        std::fs::write(&files.users, users).unwrap();
        std::fs::write(&files.card_groups, groups).unwrap();
        std::fs::write(&files.cards, cards).unwrap();
        std::fs::write(&files.currencies, "code,exchange_rate\nUSD,1\nEUR,0.92\n").unwrap();
        let prefix = format!("{}/", dir.path().display());
        load(&files, "USD", &is_demo_tariff)
            .map(|(accounts, _)| accounts)
            .map_err(|failure| failure.errors.to_string().replace(&prefix, ""))
    }

    const USERS: &str = "id,username,role,owner_id,tariff,currency,api_key,permissions,password\n";
    const GROUPS: &str = "id,name,owner_id\n1,G,0\n";
    const CARDS: &str = "id,number,pin,group_id\n";

    #[test]
    fn credit_is_a_decimal_of_at_least_zero_or_minus_one_for_no_limit() {
        let users = "id,username,role,owner_id,credit\n\
                     0,admin,admin,0,\n\
                     1,a,user,0,10.5\n\
                     2,b,user,0,-1\n\
                     3,c,user,0,0\n\
                     4,d,user,0,-1.00\n";
        let accounts = load_texts(users, GROUPS, CARDS).unwrap();
        let credit = |name: &str| accounts.user_by_username(name).unwrap().credit;
        assert_eq!(credit("admin"), Credit::Limited(Decimal::ZERO));
        assert_eq!(
            credit("a"),
            Credit::Limited(Decimal::parse("10.5", false).unwrap())
        );
        assert_eq!(credit("b"), Credit::Unlimited);
        assert_eq!(credit("c"), Credit::Limited(Decimal::ZERO));
        assert_eq!(credit("d"), Credit::Unlimited);
        let bad = "id,username,role,owner_id,credit\n\
                   0,admin,admin,0,-2\n\
                   1,a,user,0,1e3\n\
                   2,b,user,0,-0.5\n";
        let error = load_texts(bad, GROUPS, CARDS).unwrap_err();
        let lines: Vec<&str> = error.lines().collect();
        assert_eq!(lines.len(), 3, "{error}");
        assert_eq!(
            lines[0],
            "users.csv:2:5: credit \"-2\" must be a decimal of at least 0, or -1 for no limit"
        );
        assert!(
            lines[1].starts_with("users.csv:3:5: credit \"1e3\""),
            "{error}"
        );
        assert!(
            lines[2].starts_with("users.csv:4:5: credit \"-0.5\" must be"),
            "{error}"
        );
    }

    #[test]
    fn a_card_groups_tariff_must_be_in_the_artifact_and_must_stay_there() {
        let users = format!("{USERS}0,admin,admin,0,,,,,\n");
        let groups = "id,name,owner_id,tariff\n1,G,0,wholesale\n2,H,0,\n";
        let accounts = load_texts(&users, groups, CARDS).unwrap();
        assert_eq!(
            accounts.card_group(1).unwrap().tariff.as_deref(),
            Some("wholesale")
        );
        assert_eq!(accounts.card_group(2).unwrap().tariff, None);
        // A reload keeps these accounts only while the artifact holds the group's tariff.
        assert_eq!(accounts.tariff_names(), ["wholesale"]);
        let groups = "id,name,owner_id,tariff\n1,G,0,nope\n";
        assert_eq!(
            load_texts(&users, groups, CARDS).unwrap_err(),
            "card_groups.csv:2:4: tariff \"nope\" is not in the tariff artifact\n"
        );
        let groups = "id,name,owner_id,tariff\n1,G,0,bad name\n";
        assert_eq!(
            load_texts(&users, groups, CARDS).unwrap_err(),
            "card_groups.csv:2:4: tariff \"bad name\" is not a tariff name (1-64 of A-Za-z0-9_-)\n"
        );
    }

    #[test]
    fn cross_row_and_cross_file_problems_are_each_reported() {
        let users = format!(
            "{USERS}0,admin,admin,0,retail,USD,,,\n\
             1,admin,user,0,nope,XXX,,,\n\
             2,r,reseller,5,,,k,calling_cards,\n\
             2,u,user,1,,,,,\n\
             3,v,admin,3,,,,,\n\
             4,w,user,9,,,,,sha256:abc\n\
             5,x,accountant,0,,,k2,calling_cards,\n"
        );
        let error = load_texts(&users, GROUPS, CARDS).unwrap_err();
        assert_eq!(
            error,
            "users.csv:7:9: password \"sha256:...\" must be followed by 64 lowercase hex digits\n\
             users.csv:8:7: api_key is for resellers only\n\
             users.csv:8:8: permission \"calling_cards\" is for resellers only\n"
        );
        let users = format!(
            "{USERS}0,admin,admin,0,retail,USD,,,\n\
             1,admin,user,0,nope,XXX,,,\n\
             2,r,reseller,5,,,k,calling_cards,\n\
             2,u,user,1,,,,,\n\
             3,v,admin,3,,,,,\n\
             4,w,user,9,,,,,\n"
        );
        let error = load_texts(&users, GROUPS, CARDS).unwrap_err();
        assert_eq!(
            error,
            "users.csv:3:2: username \"admin\" is already used at line 2\n\
             users.csv:3:5: tariff \"nope\" is not in the tariff artifact\n\
             users.csv:3:6: currency \"XXX\" is not in currencies.csv\n\
             users.csv:4:4: owner_id 5 is not the id of any user\n\
             users.csv:5:1: id \"2\" is already used at line 4\n\
             users.csv:5:4: owner_id 1 is a user with role user; users belong to the admin or a reseller\n\
             users.csv:6:3: a second admin (the first is at line 2); exactly one is allowed\n\
             users.csv:7:4: owner_id 9 is not the id of any user\n"
        );
    }

    #[test]
    fn cards_and_groups_are_checked_against_each_other_and_users() {
        let users = format!("{USERS}0,admin,admin,0,,,,,\n1,u,user,0,,,,,\n");
        let groups = "id,name,owner_id\n1,G,0\n2,H,1\n";
        let cards = "id,number,pin,group_id,distributor_id,first_use,sold\n\
                     1,100,7,1,,,1\n\
                     2,100,7,3,8,2026-01-01 00:00:00 +0200,0\n\
                     1,101,8,1,,2026-01-01,2\n";
        let error = load_texts(&users, groups, cards).unwrap_err();
        assert_eq!(
            error,
            "cards.csv:4:6: first_use \"2026-01-01\" must be empty or YYYY-MM-DD HH:MM:SS +zzzz\n\
             cards.csv:4:7: sold \"2\" must be 0 or 1\n"
        );
        let cards = "id,number,pin,group_id,distributor_id\n1,100,7,1,\n2,100,7,3,8\n1,101,7,1,\n";
        let error = load_texts(&users, groups, cards).unwrap_err();
        assert_eq!(
            error,
            "card_groups.csv:3:3: owner_id 1 is not the admin or a reseller\n\
             cards.csv:3:2: number \"100\" is already used at line 2\n\
             cards.csv:3:4: group_id 3 is not in card_groups.csv\n\
             cards.csv:3:5: distributor_id 8 is not the id of any user\n\
             cards.csv:4:1: id \"1\" is already used at line 2\n"
        );
    }

    #[test]
    fn errors_name_the_lines_of_a_repeated_or_bad_secret_but_never_its_value() {
        let users = "id,username,role,owner_id,unique_hash,api_key\n\
                     0,admin,admin,0,hash-S3CRET-1,\n\
                     1,r,reseller,0,,key-S3CRET-2\n\
                     2,s,reseller,0,hash-S3CRET-1,key-S3CRET-2\n";
        let error = load_texts(users, GROUPS, CARDS).unwrap_err();
        assert!(
            error.contains("users.csv:4:5: unique_hash is already used at line 2"),
            "{error}"
        );
        assert!(
            error.contains("users.csv:4:6: api_key is already used at line 3"),
            "{error}"
        );
        assert!(!error.contains("S3CRET"), "a secret leaked: {error}");

        let users = format!("{USERS}0,admin,admin,0,,,,,\n");
        let cards = "id,number,pin,group_id\n1,100,12x4-S3CRET,1\n";
        let error = load_texts(&users, GROUPS, cards).unwrap_err();
        assert!(
            error.contains("cards.csv:2:3: pin must be 1-20 digits"),
            "{error}"
        );
        assert!(!error.contains("S3CRET"), "a secret leaked: {error}");
    }

    #[test]
    fn a_pin_shared_by_cards_finds_none() {
        let users = format!("{USERS}0,admin,admin,0,,,,,\n");
        let accounts = load_texts(
            &users,
            GROUPS,
            "id,number,pin,group_id\n1,100,7,1\n2,101,7,1\n3,102,8,1\n",
        )
        .unwrap();
        assert!(accounts.card_by_pin("7").is_none());
        assert_eq!(accounts.card_by_pin("8").unwrap().id, 3);
    }

    #[test]
    fn no_admin_is_an_error() {
        let users = format!("{USERS}1,r,reseller,1,,,,,\n");
        let error = load_texts(&users, "id,name,owner_id\n", CARDS).unwrap_err();
        assert!(
            error.starts_with("users.csv:1:1: no user has role admin; exactly one must\n"),
            "{error}"
        );
    }
}
