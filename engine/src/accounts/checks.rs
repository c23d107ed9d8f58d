//! What spans rows or files, checked once every file read cleanly: unique ids, usernames,
//! secrets and card numbers, exactly one admin, owners that exist and may own, tariffs that
//! exist in the artifact, currencies that exist. Messages never quote a secret.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::cards::{self, Card, CardGroup};
use super::table::{CurrencyFile, Table};
use super::users::{self, Role, User};
use super::PinOwner;
use crate::input::ErrorList;

/// The user indexes the API looks users up by.
pub(super) struct UserIndex {
    pub(super) by_id: HashMap<u64, usize, FxBuildHasher>,
    pub(super) by_name: HashMap<String, usize, FxBuildHasher>,
    pub(super) by_unique_hash: HashMap<String, usize, FxBuildHasher>,
}

/// The card indexes the API looks cards up by.
pub(super) struct CardIndex {
    pub(super) by_number: HashMap<String, usize, FxBuildHasher>,
    pub(super) by_pin: HashMap<String, PinOwner, FxBuildHasher>,
}

/// A key column's name, and whether its values may be quoted in an error message.
#[derive(Clone, Copy)]
pub(super) enum Key {
    Shown(&'static str),
    /// A credential (`api_key`, `unique_hash`): the message names the lines only.
    Secret(&'static str),
}

/// Cross-row and cross-file checks that report into one error list.
pub(super) struct Checker<'e> {
    pub(super) errors: &'e mut ErrorList,
}

impl Checker<'_> {
    /// Step 2: users are unique by id, username, `unique_hash` and `api_key`; returns the
    /// indexes.
    pub(super) fn users(&mut self, users: &Table<User>) -> UserIndex {
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
    pub(super) fn one_admin(&mut self, users: &Table<User>) -> Option<usize> {
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
    pub(super) fn user_links(
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
    pub(super) fn groups(
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
    pub(super) fn cards(
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
    pub(super) fn unique<T, K: std::hash::Hash + Eq + std::fmt::Display>(
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
pub(super) fn owner_problem(user: &User, owner: Option<&User>) -> Option<String> {
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
