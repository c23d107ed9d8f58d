//! `GET /v1/balance?account=NAME` (or `card=NUMBER`): the live balance, in the default
//! currency with 6 places, what the payer's calls in progress hold and what it may still
//! spend (`null` for unlimited credit):
//! `{"balance":"60.000000","currency":"USD","reserved":"0.000000","available":"60.000000"}`.

use serde::Serialize;

use super::{payer_of_params, write_json, Failure, JsonRequest, Money};
use crate::accounts::Accounts;

#[derive(Serialize)]
struct Answer<'a> {
    balance: Money,
    currency: &'a str,
    reserved: Money,
    available: Option<Money>,
}

/// Answers `/v1/balance`: 400 without exactly one of `account` and `card`, 404 when it
/// names nobody.
pub fn run(
    accounts: &Accounts,
    request: &JsonRequest<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let payer = payer_of_params(accounts, request.params)?;
    let (balance, reserved) = payer.balance_and_reserved();
    let available = payer.spendable(balance, reserved);
    write_json(
        out,
        &Answer {
            balance: Money(balance),
            currency: &accounts.currencies.default_currency().code,
            reserved: Money(reserved),
            available: available.map(Money),
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testing::{live, priced_cards};
    use super::super::{respond, Endpoint, JsonStatus};
    use crate::mor_api::{ApiSettings, Params};
    use crate::time::Timestamp;

    fn balance(
        live: &super::super::testing::Fixture,
        pairs: &[(&str, &str)],
    ) -> (JsonStatus, String) {
        let params = Params::from_query(pairs);
        let request = super::JsonRequest {
            params: &params,
            body: b"",
            now: Timestamp(0),
        };
        let mut out = Vec::new();
        let status = respond(
            Endpoint::Balance,
            &live.artifact,
            &live.accounts,
            &ApiSettings::default(),
            &request,
            &live.ledger,
            &mut out,
        );
        (status, String::from_utf8(out).unwrap())
    }

    #[test]
    fn balances_of_users_and_cards_with_six_places() {
        let live = live(priced_cards);
        assert_eq!(
            balance(&live, &[("account", "alice")]),
            (
                JsonStatus::Ok,
                r#"{"balance":"60.000000","currency":"USD","reserved":"0.000000","available":"60.000000"}"#.into()
            )
        );
        assert_eq!(
            balance(&live, &[("card", "1111111119")]).1,
            r#"{"balance":"10.084034","currency":"USD","reserved":"0.000000","available":"-9.915966"}"#
        );
        assert_eq!(
            balance(&live, &[("account", "bob")]).1,
            r#"{"balance":"-12.340000","currency":"USD","reserved":"0.000000","available":"-12.340000"}"#
        );
    }

    #[test]
    fn a_missing_or_unknown_payer_is_refused() {
        let live = live(priced_cards);
        assert_eq!(
            balance(&live, &[]),
            (
                JsonStatus::BadRequest,
                r#"{"error":"account or card is required"}"#.into()
            )
        );
        assert_eq!(
            balance(&live, &[("account", "alice"), ("card", "1111111119")]).1,
            r#"{"error":"give account or card, not both"}"#
        );
        assert_eq!(
            balance(&live, &[("account", "nobody")]),
            (
                JsonStatus::NotFound,
                r#"{"error":"account not found"}"#.into()
            )
        );
        assert_eq!(
            balance(&live, &[("card", "0")]),
            (JsonStatus::NotFound, r#"{"error":"card not found"}"#.into())
        );
    }
}
