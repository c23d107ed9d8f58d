//! `card_payment_add` (docs/api.md): adds a payment of `amount` in `currency` to a sold,
//! visible calling card, signed with SHA1(description + number + amount + currency + key).
//! The amount is converted into the default currency (÷ the exchange rate, rounded half away
//! from zero to 6 places) and recorded as a `card_payment` entry of the ledger, durable before
//! the answer. MOR has no idempotency key here: every accepted request is a payment.

use std::sync::Arc;

use super::{
    check_enabled, check_get, decimal_param, signed_caller, write_page, ApiError, ApiSettings,
    ContentType, Failure, MorRequest,
};
use crate::accounts::visibility;
use crate::accounts::Account;
use crate::accounts::{Accounts, Card, CardGroup, Currency};
use crate::cost::COST_PLACES;
use crate::ledger::{Applied, Change, Commit, Kind, Submission};
use crate::money::{write_ruby_float, Decimal};

/// The success text.
pub const UPDATED: &str = "Calling Card balance successfully updated";

/// An applied payment.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    pub group: &'a CardGroup,
    pub card: &'a Card,
    /// The currency paid in (as `currencies.csv` spells it).
    pub currency: &'a Currency,
    /// The default currency when `currency` is another one (a conversion was made).
    pub converted_to: Option<&'a Currency>,
    /// The amount as sent, in `currency`.
    pub sent: Decimal,
    /// The amount added, in the default currency.
    pub amount: Decimal,
    /// The card's balance right before and right after the payment.
    pub before: Decimal,
    pub after: Decimal,
    pub description: String,
}

/// Answers `card_payment_add`. The checks run in this order, and the first that fails is the
/// answer (docs/api.md; part of the MOR contract):
///
/// 1. `api.enabled`: `<status>API Requests are disabled`;
/// 2. `allow_get` for a GET: `<status>GET Requests are disabled`;
/// 3. `u` names a user: `<page><status>Access Denied`;
/// 4. the hash over `description`, `number`, `amount`, `currency`, under the secret or the
///    caller's reseller's `api_key`: `<status>API must have Secret Key` (empty `secret_key`),
///    then `<status>Incorrect hash`; skipped with `disable_hash_check`;
/// 5. `payments_over_api`: `<page><status>Feature disabled`;
/// 6. the caller is the admin or a reseller with `calling_cards`
///    ([`crate::accounts::visibility::card_balances_for`]):
///    `<page><status>You are not authorized to use Calling Cards`;
/// 7. `number` is a sold, unhidden card of a group the caller sees:
///    `<page><status>Calling Card was not found`;
/// 8. `currency`, when sent and not empty, is in `currencies.csv` (any case):
///    `<page><status>Currency disabled`;
/// 9. `amount` is a decimal above zero, still above zero and within 38 digits once converted:
///    `<page><status>Amount is invalid`;
/// 10. the ledger applies it: `<page><status>Amount is invalid` when the new balance would not
///     fit 38 digits; `<page><status>Feature disabled` when the store failed (nothing was
///     applied, the committer logs why, and the payment may be sent again).
pub fn run<'a>(
    accounts: &'a Accounts,
    settings: &ApiSettings,
    request: &MorRequest<'_>,
    ledger: &dyn Commit,
) -> Result<Payment<'a>, Failure> {
    check_enabled(settings)?;
    check_get(settings, request.method)?;
    let params = request.params;
    let caller = signed_caller(
        settings,
        accounts,
        params,
        Failure::page_status(ApiError::AccessDenied),
        &[
            params.get("description").unwrap_or_default(),
            params.get("number").unwrap_or_default(),
            params.get("amount").unwrap_or_default(),
            params.get("currency").unwrap_or_default(),
        ],
    )?;
    if !settings.payments_over_api {
        return Err(Failure::page_status(ApiError::FeatureDisabled));
    }
    let visible = visibility::card_balances_for(caller)
        .map_err(|_| Failure::page_status(ApiError::NotAuthorizedToUseCards))?;
    let (card, group) = params
        .text("number")
        .and_then(|number| accounts.card_by_number(number))
        .filter(|card| card.sold && !card.hidden)
        .and_then(|card| Some((card, accounts.card_group(card.group_id)?)))
        .filter(|(_, group)| visible.contains(group))
        .ok_or(Failure::page_status(ApiError::CallingCardNotFound))?;
    let default = accounts.currencies.default_currency();
    let currency = match params.get("currency").map(<[u8]>::trim_ascii) {
        None | Some(b"") => default,
        Some(code) => std::str::from_utf8(code)
            .ok()
            .and_then(|code| accounts.currencies.get(code))
            .ok_or(Failure::page_status(ApiError::CurrencyDisabled))?,
    };
    let invalid = Failure::page_status(ApiError::AmountInvalid);
    let sent = decimal_param(params, "amount", false)
        .filter(|amount| !amount.is_zero())
        .ok_or(invalid)?;
    let converted_to = (currency.code != default.code).then_some(default);
    let amount = match converted_to {
        None => sent,
        Some(_) => to_default_currency(sent, currency.rate)
            .filter(|amount| !amount.is_zero())
            .ok_or(invalid)?,
    };
    // Stored and echoed as UTF-8; bytes that are not are replaced (U+FFFD).
    let description =
        String::from_utf8_lossy(params.get("description").unwrap_or_default()).into_owned();
    let change = Change {
        account: Account::Card(card.id),
        cell: Arc::clone(&card.live),
        amount,
        kind: Kind::CardPayment,
        reference: String::new(),
        description: description.clone(),
        call: None,
    };
    let entry = match ledger.commit(vec![Submission::Change(change)]).pop() {
        Some(Applied::Done(entry) | Applied::Duplicate(entry)) => entry,
        Some(Applied::Refused(_)) => return Err(invalid),
        Some(Applied::Failed(_) | Applied::Session(_)) | None => {
            return Err(Failure::page_status(ApiError::FeatureDisabled))
        }
    };
    // The balance before is the one this entry was applied to, whatever ran alongside.
    let before = entry
        .balance_after
        .checked_add(entry.amount.negated())
        .ok_or(invalid)?;
    Ok(Payment {
        group,
        card,
        currency,
        converted_to,
        sent,
        amount,
        before,
        after: entry.balance_after,
        description,
    })
}

/// `amount` (in a currency with `rate` units per default unit) in the default currency,
/// rounded half away from zero to [`COST_PLACES`] from the exact quotient; `None` when it
/// does not fit 38 digits.
fn to_default_currency(amount: Decimal, rate: Decimal) -> Option<Decimal> {
    amount.converted(rate, Decimal::new(1, 0), COST_PLACES)
}

/// The success page, or the failure.
pub fn write(out: &mut Vec<u8>, result: &Result<Payment<'_>, Failure>) -> ContentType {
    write_page(out, result, |xml, payment| {
        let ruby = |value: Decimal| move |out: &mut Vec<u8>| write_ruby_float(out, value.to_f64());
        xml.open("status");
        xml.text("success", UPDATED.as_bytes());
        xml.close("status");
        xml.open("calling_card_group");
        xml.text("name", payment.group.name.as_bytes());
        xml.close("calling_card_group");
        xml.open("calling_card");
        xml.text("number", payment.card.number.as_bytes());
        xml.close("calling_card");
        xml.open("add_payment");
        xml.text("currency", payment.currency.code.as_bytes());
        xml.with("amount_with_tax", ruby(payment.sent));
        xml.open("details");
        xml.with("current_balance", ruby(payment.before));
        if let Some(default) = payment.converted_to {
            xml.text("converted_to", default.code.as_bytes());
            xml.with("exchange_rate", ruby(payment.currency.rate));
        }
        // No tax: with and without are the same amount.
        xml.with("amount_with_tax", ruby(payment.amount));
        xml.with("amount_without_tax", ruby(payment.amount));
        xml.with("new_balance", ruby(payment.after));
        xml.text_or_empty("description", payment.description.as_bytes());
        xml.close("details");
        xml.close("add_payment");
    })
}

#[cfg(test)]
mod tests;
