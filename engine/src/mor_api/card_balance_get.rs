//! `card_balance_get` (docs/api.md): a calling card's balance by number, signed with
//! SHA1(number + key). The admin sees any card; a reseller with `calling_cards` the cards of
//! its own groups. Not gated by `allow_get` or `balance_over_http` (the MOR documents name neither).

use super::{
    check_enabled, signed_caller, write_page, ApiError, ApiSettings, ContentType, Failure,
    MorRequest,
};
use crate::accounts::visibility::{self, CardGroups};
use crate::accounts::{Accounts, Card};
use crate::money::write_ruby_float;

/// A card's balance (raw, as stored) and the default currency's code.
#[derive(Debug, Clone, Copy)]
pub struct CardBalance<'a> {
    pub card: &'a Card,
    pub currency: &'a str,
}

/// Answers `card_balance_get`. The checks run in this order, and the first that fails is the
/// answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `u` names a user: `<page>User was not found`;
/// 3. the hash over `number`, under the secret or the caller's reseller's `api_key`:
///    `<status>API must have Secret Key` (empty `secret_key`), then `<status>Incorrect hash`;
///    skipped with `disable_hash_check`;
/// 4. the caller may read card balances ([`crate::accounts::visibility::card_balances_for`]):
///    `<page>User was not found`;
/// 5. `number` is a card the caller sees: `<page>Calling Card was not found`.
///
/// GET is always accepted (`allow_get` does not apply to balances).
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
) -> Result<CardBalance<'a>, Failure> {
    check_enabled(settings)?;
    let params = request.params;
    let not_found = Failure::page(ApiError::UserNotFound);
    let caller = signed_caller(
        settings,
        accounts,
        params,
        not_found,
        &[params.get("number").unwrap_or_default()],
    )?;
    // Every refusal reads as an unknown caller here (docs/api.md).
    let visible = visibility::card_balances_for(caller).map_err(|_| not_found)?;
    let card = params
        .text("number")
        .and_then(|number| accounts.card_by_number(number))
        .filter(|card| {
            visible == CardGroups::All
                || accounts
                    .card_group(card.group_id)
                    .is_some_and(|g| visible.contains(g))
        })
        .ok_or(Failure::page(ApiError::CallingCardNotFound))?;
    Ok(CardBalance {
        card,
        currency: &accounts.currencies.default_currency().code,
    })
}

/// `<page><calling_card><balance>…</balance><currency>…</currency></calling_card></page>`.
pub fn write(out: &mut Vec<u8>, result: &Result<CardBalance<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, answer| {
        xml.open("calling_card");
        xml.with("balance", |out| {
            write_ruby_float(out, answer.card.balance_f64())
        });
        xml.text("currency", answer.currency.as_bytes());
        xml.close("calling_card");
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::request_hash;
    use crate::mor_api::testing::{body, demo};
    use crate::mor_api::{Method, Params};
    use crate::time::Timestamp;

    fn call(u: &str, number: &str, key: &str) -> String {
        let signed =
            String::from_utf8(request_hash(&[number.as_bytes()], key.as_bytes()).to_vec()).unwrap();
        let params = Params::from_query(&[("u", u), ("number", number), ("hash", &signed)]);
        let request = MorRequest {
            method: Method::Get,
            params: &params,
            now: Timestamp(0),
        };
        let result = run(&demo().accounts, &ApiSettings::default(), &request);
        body(|out| write(out, &result)).0
    }

    fn page(inner: &str) -> String {
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n{inner}</page>\n")
    }

    #[test]
    fn balances_and_visibility() {
        assert_eq!(
            call("admin", "1111111119", "secret"),
            page("  <calling_card>\n    <balance>10.0840336134454</balance>\n    <currency>USD</currency>\n  </calling_card>\n")
        );
        assert!(
            call("reseller1", "2222222201", "resellerkey").contains("<balance>1.0e-05</balance>")
        );
        assert_eq!(
            call("reseller1", "1111111119", "resellerkey"),
            page("  <error>Calling Card was not found</error>\n")
        );
        assert_eq!(
            call("admin", "999", "secret"),
            page("  <error>Calling Card was not found</error>\n")
        );
        assert_eq!(
            call("alice", "1111111119", "secret"),
            page("  <error>User was not found</error>\n")
        );
        assert_eq!(
            call("nobody", "1111111119", "secret"),
            page("  <error>User was not found</error>\n")
        );
        assert!(call("admin", "1111111119", "nope").contains("<error>Incorrect hash</error>"));
    }
}
