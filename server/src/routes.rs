//! Path to endpoint: everything under `web_dir`, every MOR alias, the path form
//! `/api/simple_balance/ID` (and `/api/user_simple_balance_get/ID`), and Arrow's
//! `balance.php`. A trailing slash is ignored. The query string is cut off by the caller.

use ratel_engine::mor_api::Endpoint;

/// A routed request: the endpoint and, for the path form, the percent-encoded `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'p> {
    pub endpoint: Endpoint,
    pub path_id: Option<&'p [u8]>,
}

/// The endpoint `path` names under `web_dir` (like `/billing`), or `None` (404).
pub fn route<'p>(path: &'p [u8], web_dir: &str) -> Option<Route<'p>> {
    let rest = path.strip_prefix(web_dir.as_bytes())?;
    let rest = rest.strip_suffix(b"/").unwrap_or(rest);
    if rest == b"/balance.php" {
        return Some(Route {
            endpoint: Endpoint::BalancePhp,
            path_id: None,
        });
    }
    let rest = rest.strip_prefix(b"/api/")?;
    let (name, path_id) = match rest.iter().position(|&b| b == b'/') {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let endpoint = match name {
        b"user_simple_balance_get" | b"simple_balance" => Endpoint::UserSimpleBalanceGet,
        b"user_balance_get" | b"balance" => Endpoint::UserBalanceGet,
        b"rate_get" | b"rate" => Endpoint::RateGet,
        b"calling_cards_get" => Endpoint::CallingCardsGet,
        b"card_balance_get" => Endpoint::CardBalanceGet,
        b"user_balance_update" | b"user_balance_change" => Endpoint::UserBalanceUpdate,
        b"card_payment_add" => Endpoint::CardPaymentAdd,
        _ => return None,
    };
    match path_id {
        None => Some(Route {
            endpoint,
            path_id: None,
        }),
        // Only the simple balance takes its id in the path, and only one segment of it.
        Some(id)
            if endpoint == Endpoint::UserSimpleBalanceGet
                && !id.is_empty()
                && !id.contains(&b'/') =>
        {
            Some(Route {
                endpoint,
                path_id: Some(id),
            })
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(path: &str) -> Option<(Endpoint, Option<String>)> {
        route(path.as_bytes(), "/billing").map(|r| {
            (
                r.endpoint,
                r.path_id.map(|id| String::from_utf8_lossy(id).into_owned()),
            )
        })
    }

    #[test]
    fn every_name_and_alias_routes() {
        for (path, expected) in [
            (
                "/billing/api/user_simple_balance_get",
                Endpoint::UserSimpleBalanceGet,
            ),
            (
                "/billing/api/simple_balance",
                Endpoint::UserSimpleBalanceGet,
            ),
            ("/billing/api/user_balance_get", Endpoint::UserBalanceGet),
            ("/billing/api/balance", Endpoint::UserBalanceGet),
            ("/billing/api/rate_get", Endpoint::RateGet),
            ("/billing/api/rate/", Endpoint::RateGet),
            ("/billing/api/calling_cards_get", Endpoint::CallingCardsGet),
            ("/billing/api/card_balance_get", Endpoint::CardBalanceGet),
            ("/billing/balance.php", Endpoint::BalancePhp),
            (
                "/billing/api/user_balance_update",
                Endpoint::UserBalanceUpdate,
            ),
            (
                "/billing/api/user_balance_change/",
                Endpoint::UserBalanceUpdate,
            ),
            ("/billing/api/card_payment_add", Endpoint::CardPaymentAdd),
        ] {
            assert_eq!(endpoint(path), Some((expected, None)), "{path}");
        }
    }

    #[test]
    fn the_simple_balance_takes_its_id_in_the_path() {
        assert_eq!(
            endpoint("/billing/api/simple_balance/a1b2c3d4e5"),
            Some((Endpoint::UserSimpleBalanceGet, Some("a1b2c3d4e5".into())))
        );
        assert_eq!(
            endpoint("/billing/api/user_simple_balance_get/x%20y/"),
            Some((Endpoint::UserSimpleBalanceGet, Some("x%20y".into())))
        );
    }

    #[test]
    fn everything_else_is_not_found() {
        for path in [
            "/",
            "/billing",
            "/billing/api",
            "/billing/api/",
            "/billing/api/users_get",
            "/billing/api/rate_get/370",
            "/billing/api/simple_balance/a/b",
            "/billingx/api/rate_get",
            "/other/api/rate_get",
            "/billing/balance.phpx",
            "/billing/api/user_balance_update/3",
            "/billing/api/card_payment_add/1111111120",
            "/billing/api/user_balance",
        ] {
            assert_eq!(endpoint(path), None, "{path}");
        }
        assert!(
            route(b"/api/rate", "").is_some(),
            "an empty web_dir serves from the root"
        );
    }
}
