//! `calling_cards_get` (docs/api.md): search calling cards. The hash is SHA1 of the key alone.
//! Filters match exactly, `%` standing for any run of characters; hidden cards never show.
//! A malformed `min_balance`, `max_balance` or `distributor` matches nothing: a filter never
//! widens a search.

use super::{
    check_enabled, check_get, signed_caller, write_page, ApiError, ApiSettings, ContentType,
    Failure, MorRequest, Params,
};
use crate::accounts::visibility::{self, Denied};
use crate::accounts::{Accounts, Card, CardGroup, User};
use crate::money::{write_ruby_float, Decimal};

/// A listed card and its distributor, if it has one.
pub type Listed<'a> = (&'a Card, Option<&'a User>);

/// The matching cards of one group, by id.
#[derive(Debug)]
pub struct GroupCards<'a> {
    pub group: &'a CardGroup,
    pub cards: Vec<Listed<'a>>,
}

/// Matching cards, grouped by card group (groups by id, cards by id).
#[derive(Debug)]
pub struct CardList<'a> {
    pub groups: Vec<GroupCards<'a>>,
}

/// Answers `calling_cards_get`. The checks run in this order, and the first that fails is the
/// answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `allow_get` for a GET: `<status>GET Requests are disabled`;
/// 3. `u` names a user: `<page><status>Access Denied`;
/// 4. the hash of the key alone, under the secret or the caller's reseller's `api_key`:
///    `<status>API must have Secret Key` (empty `secret_key`), then `<status>Incorrect hash`;
///    skipped with `disable_hash_check`;
/// 5. the caller may list cards ([`crate::accounts::visibility::cards_listed_to`]):
///    `<page><status>You are not authorized to use this functionality` (a reseller or
///    accountant without the permission) or `<page><status>Access Denied` (a plain user);
/// 6. some visible, unhidden card matches the filters: `<page><status>Cards were not found`.
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<CardList<'a>, Failure> {
    check_enabled(settings)?;
    check_get(settings, request.method)?;
    let params = request.params;
    let caller = signed_caller(
        settings,
        accounts,
        params,
        Failure::page_status(ApiError::AccessDenied),
        &[],
    )?;
    let visible = visibility::cards_listed_to(accounts.admin().id, caller).map_err(|denied| {
        Failure::page_status(match denied {
            Denied::Permission => ApiError::NotAuthorizedToUse,
            Denied::Role | Denied::Target => ApiError::AccessDenied,
        })
    })?;
    let filter = Filter::from(params);
    // A plain card number is a key: look it up instead of scanning.
    let candidates: Box<dyn Iterator<Item = &Card>> = match params.text("number") {
        Some(number) if !number.contains('%') => {
            Box::new(accounts.card_by_number(number).into_iter())
        }
        _ => Box::new(accounts.cards().iter()),
    };
    let mut groups: Vec<GroupCards<'_>> = Vec::new();
    for card in candidates.filter(|c| !c.hidden && filter.matches(c)) {
        let Some(group) = accounts
            .card_group(card.group_id)
            .filter(|g| visible.contains(g))
        else {
            continue;
        };
        let distributor = card.distributor_id.and_then(|id| accounts.user_by_id(id));
        match groups.iter_mut().find(|g| g.group.id == group.id) {
            Some(listed) => listed.cards.push((card, distributor)),
            None => groups.push(GroupCards {
                group,
                cards: vec![(card, distributor)],
            }),
        }
    }
    if groups.is_empty() {
        return Err(Failure::page_status(ApiError::CardsNotFound));
    }
    groups.sort_by_key(|g| g.group.id);
    Ok(CardList { groups })
}

/// Reads one text field of a card.
type FieldOf = fn(&Card) -> &str;

/// The search filters of one request.
struct Filter<'p> {
    text: Vec<(&'p [u8], FieldOf)>,
    language: Option<&'p [u8]>,
    min_balance: Option<Option<Decimal>>,
    max_balance: Option<Option<Decimal>>,
    sold: Option<bool>,
    distributor: Option<Option<u64>>,
}

impl<'p> Filter<'p> {
    fn from(params: &'p Params) -> Filter<'p> {
        let fields: [(&str, FieldOf); 5] = [
            ("number", |c| &c.number),
            ("name", |c| &c.name),
            ("pin", |c| &c.pin),
            ("callerid", |c| &c.callerid),
            ("batch_number", |c| &c.batch_number),
        ];
        let decimal = |name: &str| {
            params.get(name).map(|v| {
                let text: Vec<u8> = v
                    .trim_ascii()
                    .iter()
                    .map(|&b| if b == b',' { b'.' } else { b })
                    .collect();
                Decimal::parse_bytes(&text, true).ok()
            })
        };
        Filter {
            text: fields
                .iter()
                .filter_map(|&(name, field)| params.get(name).map(|v| (v, field)))
                .collect(),
            language: params.get("language"),
            min_balance: decimal("min_balance"),
            max_balance: decimal("max_balance"),
            sold: match params.get("sold") {
                Some(b"1" | b"yes") => Some(true),
                Some(b"0" | b"no") => Some(false),
                _ => None,
            },
            distributor: params.text("distributor").and_then(|d| match d.trim() {
                "-1" => None,
                d => Some(d.parse().ok()),
            }),
        }
    }

    fn matches(&self, card: &Card) -> bool {
        self.text
            .iter()
            .all(|(pattern, field)| like(pattern, field(card).as_bytes()))
            && self.language.is_none_or(|l| l == card.language.as_bytes())
            && self
                .min_balance
                .is_none_or(|m| m.is_some_and(|m| card.balance() >= m))
            && self
                .max_balance
                .is_none_or(|m| m.is_some_and(|m| card.balance() <= m))
            && self.sold.is_none_or(|s| s == card.sold)
            && self
                .distributor
                .is_none_or(|d| d.is_some() && d == card.distributor_id)
    }
}

/// Exact match where `%` in `pattern` stands for any run of bytes (SQL `LIKE` without `_`).
fn like(pattern: &[u8], text: &[u8]) -> bool {
    let mut parts = pattern.split(|&b| b == b'%');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&[u8]> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest
            .windows(part.len().max(1))
            .position(|w| part.is_empty() || w == *part)
        {
            Some(at) => rest = &rest[at + part.len()..],
            None if part.is_empty() => {}
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// `<page>` holding one `<cards>` per group, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<CardList<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, list| {
        for listed in &list.groups {
            xml.open("cards");
            for (card, distributor) in &listed.cards {
                xml.open("card");
                xml.with("card_id", |out| {
                    out.extend_from_slice(itoa::Buffer::new().format(card.id).as_bytes())
                });
                for (name, value) in [
                    ("card_number", &card.number),
                    ("card_name", &card.name),
                    ("card_pin", &card.pin),
                    ("card_batch_number", &card.batch_number),
                    ("card_callerid", &card.callerid),
                ] {
                    xml.text_or_empty(name, value.as_bytes());
                }
                xml.with("card_balance", |out| {
                    write_ruby_float(out, card.balance_f64())
                });
                xml.with("card_minimal_balance", |out| {
                    write_ruby_float(out, card.min_balance_f64)
                });
                xml.text_or_empty("card_first_use", card.first_use.as_bytes());
                xml.text_or_empty(
                    "card_daily_charge_paid_till",
                    card.daily_charge_paid_till.as_bytes(),
                );
                xml.text("card_sold", if card.sold { b"1" } else { b"0" });
                xml.text_or_empty("card_language", card.language.as_bytes());
                if let Some(user) = distributor {
                    xml.text_or_empty("card_distributor", user.display_name().as_bytes());
                }
                xml.close("card");
            }
            xml.close("cards");
        }
    })
}

#[cfg(test)]
mod tests;
