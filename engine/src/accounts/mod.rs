//! Accounts: currencies, users, card groups and calling cards (docs/formats.md), validated
//! together and indexed for every lookup the API makes.
//!
//! Each file is read with the tariff reader's discipline (`file:line:column: message`, every
//! error listed: `load`, with a file's rows in a `table`); then what spans rows or files is
//! checked (`checks`): unique ids, usernames, secrets and card numbers, exactly one admin,
//! owners that exist and may own, tariffs that exist in the artifact, currencies that exist.
//! Nothing is returned unless all of it holds. This file holds the result and its lookups.
//!
//! Messages never quote a secret (`api_key`, `unique_hash`, `password`, a card's `pin`): they
//! reach the log and the `/reload` reply, so they name the line and column instead. Who may
//! see whom once loaded is [`visibility`]'s business.

mod balance;
mod cards;
mod checks;
mod currencies;
mod index;
mod key;
mod load;
mod table;
#[cfg(test)]
mod tests;
mod users;
pub mod visibility;

use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxBuildHasher;

pub use balance::BalanceCell;
pub use cards::{Card, CardGroup};
pub use currencies::{is_valid_code, read_rates, Currencies, Currency};
pub use key::Account;
pub use load::{load, AccountFiles};
pub use users::{Credit, Password, Permissions, Role, User};

use crate::input::ErrorList;
use index::TextIndex;

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
