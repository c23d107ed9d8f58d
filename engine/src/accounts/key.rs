//! Which account a balance belongs to: a user or a card, by id (`user:3`, `card:26`), the
//! key the ledger keeps balances under.

use std::fmt;

/// A user or a card, by id (`user:3`, `card:26`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    User(u64),
    Card(u64),
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::User(id) => write!(f, "user:{id}"),
            Account::Card(id) => write!(f, "card:{id}"),
        }
    }
}

impl std::str::FromStr for Account {
    type Err = String;

    fn from_str(text: &str) -> Result<Account, String> {
        let parse = |id: &str| {
            id.parse::<u64>()
                .map_err(|_| format!("bad account {text:?}"))
        };
        match text.split_once(':') {
            Some(("user", id)) => Ok(Account::User(parse(id)?)),
            Some(("card", id)) => Ok(Account::Card(parse(id)?)),
            _ => Err(format!("bad account {text:?}")),
        }
    }
}
