//! Request lists for wrk: paths with valid hashes, built from the account files the server
//! loads, so every request names a real user or card and answers a success page. Who may be
//! asked about whom is the engine's rule (`accounts::visibility`), not a copy of it.

use std::fmt::Write as _;

use ratel_engine::accounts::visibility::{self, RateRules};
use ratel_engine::accounts::{Accounts, Password, Role, User};
use ratel_engine::auth::request_hash;

use super::Target;

/// Inputs to request generation.
#[derive(Debug)]
pub struct RequestData<'a> {
    pub accounts: &'a Accounts,
    /// Dialed numbers (`numbers.txt`).
    pub numbers: &'a [String],
    /// For each tariff given, the prefixes of its deck that have a row in force now; exact
    /// `rate_get` requests ask users for prefixes of their own tariff.
    pub prefixes: &'a std::collections::BTreeMap<String, Vec<String>>,
    pub secret: &'a str,
    /// The server's `web_dir`, such as `/billing`.
    pub web_dir: &'a str,
}

/// The percent-encoding of a query value (RFC 3986 unreserved characters stay).
fn encode(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

fn hash(values: &[&str], key: &str) -> String {
    let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    String::from_utf8_lossy(&request_hash(&values, key.as_bytes())).into_owned()
}

/// A path with query: `base` then `name=value` pairs, values percent-encoded.
fn path(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(128);
    out.push_str(base);
    for (i, (name, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        encode(value, &mut out);
    }
    out
}

/// Plain users with a tariff whose rates the admin may read (the engine's own rule).
fn rated_users(accounts: &Accounts) -> Vec<&User> {
    let admin = accounts.admin();
    accounts
        .users()
        .iter()
        .filter(|u| u.role == Role::User && u.tariff.is_some())
        .filter(|u| visibility::rates_of(admin.id, RateRules::default(), admin, u).is_ok())
        .collect()
}

/// `count` request paths for `target`, cycling through the data so that consecutive
/// requests name different numbers, users and cards. Empty when the data has nothing to ask
/// for (no users with a tariff, say).
pub fn requests(target: Target, data: &RequestData<'_>, count: usize) -> Vec<String> {
    let api = format!("{}/api", data.web_dir);
    let accounts = data.accounts;
    let key = data.secret;
    let users = accounts.users();
    let cards = accounts.cards();
    let mut out = Vec::with_capacity(count);
    match target {
        Target::Authorize => {
            // Users with a tariff, each asked about a prefix of its own deck: a rate is found.
            let rated: Vec<(&User, &Vec<String>)> = rated_users(accounts)
                .into_iter()
                .filter_map(|u| Some((u, data.prefixes.get(u.tariff.as_ref()?)?)))
                .filter(|(_, prefixes)| !prefixes.is_empty())
                .collect();
            if rated.is_empty() {
                return out;
            }
            for i in 0..count {
                let (user, prefixes) = rated[i % rated.len()];
                out.push(path(
                    "/v1/authorize",
                    &[
                        ("account", &user.username),
                        ("number", &prefixes[i % prefixes.len()]),
                    ],
                ));
            }
        }
        Target::RateFull | Target::RateExact => {
            let admin = &accounts.admin().username;
            let no_prefixes = Vec::new();
            let dialed = |user: &User| -> &[String] {
                match target {
                    Target::RateFull => data.numbers,
                    _ => user
                        .tariff
                        .as_ref()
                        .and_then(|t| data.prefixes.get(t))
                        .unwrap_or(&no_prefixes),
                }
            };
            let rated: Vec<&User> = rated_users(accounts)
                .into_iter()
                .filter(|u| !dialed(u).is_empty())
                .collect();
            if rated.is_empty() {
                return out;
            }
            for i in 0..count {
                let user = rated[i % rated.len()];
                let numbers = dialed(user);
                let name = user.username.as_str();
                let mut pairs = vec![
                    ("u", admin.as_str()),
                    ("username", name),
                    ("prefix", numbers[i % numbers.len()].as_str()),
                ];
                if target == Target::RateFull {
                    pairs.push(("by_full_dst", "1"));
                }
                let signature = hash(&[name], key);
                pairs.push(("hash", &signature));
                out.push(path(&format!("{api}/rate_get"), &pairs));
            }
        }
        Target::UserBalance => {
            for (i, user) in users.iter().cycle().take(count).enumerate() {
                let name = user.username.as_str();
                // A quarter in EUR, a quarter in the user's own currency.
                let signature;
                let pairs: Vec<(&str, &str)> = match i % 4 {
                    0 => {
                        signature = hash(&[name, "EUR"], key);
                        vec![
                            ("username", name),
                            ("currency", "EUR"),
                            ("hash", &signature),
                        ]
                    }
                    1 => {
                        signature = hash(&[name], key);
                        vec![
                            ("username", name),
                            ("user_currency", "1"),
                            ("hash", &signature),
                        ]
                    }
                    _ => {
                        signature = hash(&[name], key);
                        vec![("username", name), ("hash", &signature)]
                    }
                };
                out.push(path(&format!("{api}/user_balance_get"), &pairs));
            }
        }
        Target::UserSimpleBalance => {
            let hashes: Vec<&str> = users
                .iter()
                .filter_map(|u| u.unique_hash.as_deref())
                .collect();
            for (i, id) in hashes.iter().cycle().take(count).enumerate() {
                // Both spellings: the query form and the path form.
                out.push(if i % 2 == 0 {
                    path(&format!("{api}/user_simple_balance_get"), &[("id", id)])
                } else {
                    path(&format!("{api}/simple_balance/{id}"), &[])
                });
            }
        }
        Target::CallingCards => {
            let admin = &accounts.admin().username;
            let signature = hash(&[], key);
            let listed = cards.iter().filter(|c| !c.hidden);
            for card in listed.cycle().take(count) {
                out.push(path(
                    &format!("{api}/calling_cards_get"),
                    &[("u", admin), ("number", &card.number), ("hash", &signature)],
                ));
            }
        }
        Target::CardBalance => {
            let admin = &accounts.admin().username;
            for card in cards.iter().cycle().take(count) {
                let signature = hash(&[&card.number], key);
                out.push(path(
                    &format!("{api}/card_balance_get"),
                    &[("u", admin), ("number", &card.number), ("hash", &signature)],
                ));
            }
        }
        Target::BalancePhp => {
            let php = format!("{}/balance.php", data.web_dir);
            let fits = |text: &str| {
                (1..=20).contains(&text.len())
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@')
            };
            // Three ways in, in turn: a card PIN, a user with a password, a user with a number.
            let pins: Vec<&str> = cards
                .iter()
                .map(|c| c.pin.as_str())
                .filter(|pin| fits(pin) && accounts.card_by_pin(pin).is_some())
                .collect();
            let with_password: Vec<(&str, &str)> = users
                .iter()
                .filter_map(|u| match &u.password {
                    Some(Password::Plain(p)) if fits(&u.username) && fits(p) => {
                        Some((u.username.as_str(), p.as_str()))
                    }
                    _ => None,
                })
                .collect();
            let with_number: Vec<(&str, &str)> = users
                .iter()
                .filter_map(|u| {
                    let number = u.numbers.first()?;
                    let digits = (1..=20).contains(&number.len())
                        && number.bytes().all(|b| b.is_ascii_digit());
                    (fits(&u.username) && digits).then_some((u.username.as_str(), number.as_str()))
                })
                .collect();
            let formats = ["2", "3", "4"];
            for i in 0..count {
                let format = formats[i % formats.len()];
                let pairs: Vec<(&str, &str)> = match i % 3 {
                    0 if !pins.is_empty() => vec![("uid", pins[i % pins.len()])],
                    1 if !with_password.is_empty() => {
                        let (uid, passwd) = with_password[i % with_password.len()];
                        vec![("uid", uid), ("passwd", passwd)]
                    }
                    _ if !with_number.is_empty() => {
                        let (uid, number) = with_number[i % with_number.len()];
                        vec![("uid", uid), ("e164num", number)]
                    }
                    _ => continue,
                };
                let mut pairs = pairs;
                pairs.push(("format", format));
                out.push(path(&php, &pairs));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            path("/a", &[("u", "a b&c"), ("n", "x@y")]),
            "/a?u=a%20b%26c&n=x%40y"
        );
        assert_eq!(path("/a/b", &[]), "/a/b");
    }
}
