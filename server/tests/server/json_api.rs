//! The JSON API over HTTP against the real `ratel-server` binary on an ephemeral port, with
//! its own ledger file: the token gate, idempotency, many clients charging the same accounts,
//! and balances past 18 digits. (Its golden bodies are in `golden`, its body sizes and budget
//! in `limits`.)

use crate::support::client::{seen, Client};
use crate::support::server::{serial, Server};
use crate::support::{authorized, TOKEN};
use ratel_engine::money::Decimal;

/// The `(cost, duplicate)` of each result of a `/v1/calls` answer.
fn charges(body: &str) -> Vec<(Decimal, bool)> {
    let answer: serde_json::Value = serde_json::from_str(body).unwrap();
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| {
            let cost = result["cost"].as_str().unwrap_or_else(|| panic!("{body}"));
            (
                Decimal::parse(cost, false).unwrap(),
                result["duplicate"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn balance(client: &mut Client, query: &str) -> Decimal {
    let answer = authorized(client, "GET", &format!("/v1/balance?{query}"), "").json();
    Decimal::parse(answer["balance"].as_str().unwrap(), true).unwrap()
}

/// `n` calls of `billsec` seconds to Lithuania Mobile (retail: 0.155 a minute, 0.01 a call)
/// paid by card 1111111119, with ids `{prefix}-0`...
fn card_calls(prefix: &str, n: usize, billsec: u32) -> String {
    let calls: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"{prefix}-{i}","card":"1111111119","number":"37061234567","start":"2026-11-26 10:00:00","billsec":{billsec}}}"#
            )
        })
        .collect();
    format!(r#"{{"calls":[{}]}}"#, calls.join(","))
}

#[test]
fn the_token_gates_every_path_and_an_empty_token_hides_the_api() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let mut client = server.client();
    let unauthorized = (401, "application/json", r#"{"error":"unauthorized"}"#, None);
    for headers in [
        "",
        "Authorization: Bearer wrong\r\n",
        "Authorization: Basic dDBrM24=\r\n",
        "Authorization: Bearer t0k3n-for-test\r\n",
    ] {
        assert_eq!(
            seen(&client.send("GET", "/v1/balance?account=alice", headers, b"")),
            unauthorized,
            "{headers}"
        );
        assert_eq!(
            seen(&client.send("POST", "/v1/anything", headers, b"{}")),
            unauthorized
        );
    }
    let not_found = authorized(&mut client, "GET", "/v1/nothing", "");
    assert_eq!(
        (not_found.status, not_found.body.as_str()),
        (404, r#"{"error":"not found"}"#)
    );
    // A 405 names the endpoint's one method.
    for (method, target, allow) in [
        ("GET", "/v1/calls", "POST"),
        ("PUT", "/v1/rates", "POST"),
        ("POST", "/v1/authorize", "GET"),
        ("DELETE", "/v1/balance", "GET"),
    ] {
        let response = authorized(&mut client, method, target, "");
        assert_eq!(
            (response.status, response.header("allow").as_deref()),
            (405, Some(allow)),
            "{method} {target}: {}",
            response.body
        );
    }
    // The MOR API is untouched by the JSON API's token.
    let mor = client.send(
        "GET",
        "/billing/api/user_simple_balance_get?id=a1b2c3d4e5",
        "",
        b"",
    );
    assert_eq!((mor.status, mor.body.as_str()), (200, "60.0000"));
    drop(server);

    let hidden = Server::start("native_token = \"\"");
    let mut client = hidden.client();
    for (method, target) in [
        ("GET", "/v1/balance?account=alice"),
        ("POST", "/v1/calls"),
        ("PUT", "/v1/calls"),
    ] {
        let response = client.send(method, target, "Authorization: Bearer \r\n", b"{}");
        assert_eq!(
            (response.status, response.body.as_str()),
            (404, r#"{"error":"not found"}"#),
            "{method} {target}"
        );
    }
}

/// Many clients charge the same three accounts at once, each call sent twice (once in its
/// own batch, once again later): every balance ends at its opening less the exact sum of
/// the costs acknowledged as new charges, and every repeat was answered as a duplicate
/// with its original cost.
#[test]
fn concurrent_clients_charge_each_call_once_and_balances_add_up() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let payers = [
        ("account", "alice", "account=alice"),
        ("account", "dave", "account=dave"),
        ("card", "1111111120", "card=1111111120"),
    ];
    let mut client = server.client();
    let openings: Vec<Decimal> = payers
        .iter()
        .map(|(_, _, query)| balance(&mut client, query))
        .collect();
    const THREADS: usize = 16;
    const CALLS: usize = 40;
    let numbers = ["37061234567", "442071234567", "4470123", "12125550100"];
    let totals: Vec<Vec<Decimal>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let server = &server;
                scope.spawn(move || {
                    let mut client = server.client();
                    let mut spent = vec![Decimal::ZERO; payers.len()];
                    let mut sent = Vec::new();
                    for i in 0..CALLS {
                        let payer = (thread + i) % payers.len();
                        let (field, name, _) = payers[payer];
                        let call = format!(
                            r#"{{"id":"t{thread}-{i}","{field}":"{name}","number":"{}","start":"2026-11-26 10:00:00","billsec":{}}}"#,
                            numbers[i % numbers.len()],
                            (i * 7 + thread) % 200
                        );
                        let response =
                            authorized(&mut client, "POST", "/v1/calls", &format!(r#"{{"calls":[{call}]}}"#));
                        assert_eq!(response.status, 200, "{}", response.body);
                        let [(cost, duplicate)] = charges(&response.body)[..] else {
                            panic!("{}", response.body);
                        };
                        assert!(!duplicate);
                        spent[payer] = spent[payer].checked_add(cost).unwrap();
                        sent.push((call, cost));
                    }
                    // Every call again, in batches of 10: all duplicates, same costs.
                    for batch in sent.chunks(10) {
                        let calls: Vec<&str> = batch.iter().map(|(call, _)| call.as_str()).collect();
                        let body = format!(r#"{{"calls":[{}]}}"#, calls.join(","));
                        let response = authorized(&mut client, "POST", "/v1/calls", &body);
                        let again = charges(&response.body);
                        assert_eq!(again.len(), batch.len());
                        for ((cost, duplicate), (_, first)) in again.iter().zip(batch) {
                            assert!(duplicate);
                            assert_eq!(cost, first);
                        }
                    }
                    spent
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (index, (_, _, query)) in payers.iter().enumerate() {
        let spent = totals.iter().fold(Decimal::ZERO, |sum, spent| {
            sum.checked_add(spent[index]).unwrap()
        });
        assert!(spent > Decimal::ZERO);
        assert_eq!(
            balance(&mut client, query),
            openings[index].checked_add(spent.negated()).unwrap(),
            "{query}"
        );
    }
    // Counted by endpoint and outcome.
    let metrics = server.admin_request("GET", "/metrics").body;
    let requests = (THREADS * (CALLS + CALLS / 10)) as f64;
    let line = "ratel_native_requests_total{endpoint=\"calls\",outcome=\"answered\"}";
    let counted: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert_eq!(counted, requests);
}

/// Issue 16, defect 1: balances held 18 significant digits, so card 1111111119 (opening
/// 10.0840336134454: 13 places) could not go below -99,999.99. Every charge past that was
/// refused while `/v1/authorize` still allowed 7,200 s: calls went unbilled. Now 6,000 calls
/// of 7,200 s (18.61 each) all charge, the balance is exact, and a balance past 10^20 with
/// 13 places is charged exactly too.
#[test]
fn balances_past_eighteen_digits_are_charged_exactly() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let mut client = server.client();
    let opening = balance(&mut client, "card=1111111119");
    assert_eq!(opening, Decimal::parse("10.084034", false).unwrap());
    let cost = Decimal::parse("18.61", false).unwrap();
    let mut expected = Decimal::parse("10.0840336134454", false).unwrap();
    for batch in 0..6 {
        let response = authorized(
            &mut client,
            "POST",
            "/v1/calls",
            &card_calls(&format!("b{batch}"), 1000, 7200),
        );
        assert_eq!(response.status, 200, "{}", response.body);
        let charged = charges(&response.body);
        assert_eq!(charged.len(), 1000);
        for (charged, duplicate) in charged {
            assert_eq!((charged, duplicate), (cost, false));
            expected = expected.checked_add(cost.negated()).unwrap();
        }
    }
    assert_eq!(
        expected,
        Decimal::parse("-111649.9159663865546", true).unwrap()
    );
    let answer = authorized(&mut client, "GET", "/v1/balance?card=1111111119", "").json();
    assert_eq!(answer["balance"], "-111649.915966");
    drop(client);
    drop(server);

    // An opening of 10^20 and 13 places: charges and reads stay exact.
    let huge = "100000000000000000000.0840336134454";
    let server = Server::start_with(&format!("native_token = \"{TOKEN}\""), None, |dir| {
        let cards = std::fs::read_to_string(dir.join("cards.csv")).unwrap();
        let cards = cards.replacen(",10.0840336134454,", &format!(",{huge},"), 1);
        std::fs::write(dir.join("cards.csv"), cards).unwrap();
    });
    let mut client = server.client();
    let authorize = authorized(
        &mut client,
        "GET",
        "/v1/authorize?card=1111111119&number=37061234567",
        "",
    )
    .json();
    assert_eq!(
        (&authorize["allowed"], &authorize["max_seconds"]),
        (&serde_json::json!(true), &serde_json::json!(7200))
    );
    let response = authorized(&mut client, "POST", "/v1/calls", &card_calls("h", 3, 7200));
    let balances: Vec<String> = response.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["balance"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        balances,
        [
            "99999999999999999981.474034",
            "99999999999999999962.864034",
            "99999999999999999944.254034"
        ]
    );
    // The ledger keeps the exact balance: 10^20 + 0.0840336134454 - 3 × 18.61.
    let ledger = rusqlite::Connection::open(server.dir.path().join("ledger.sqlite")).unwrap();
    let kept: String = ledger
        .query_row(
            "SELECT balance FROM accounts WHERE account = 'card:26'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(kept, "99999999999999999944.2540336134454");
}

/// Issue 18: with `[numbers]`, `0037061234567`, `01137061234567`, `+37061234567` and the
/// national `061234567` are one destination in `/v1/rates`, `/v1/authorize` and `rate_get`
/// (`by_full_dst=1`); the internal extension `3706` is not rated; the number echoed is the
/// one sent.
#[test]
fn the_number_rules_apply_to_every_number_rated() {
    let _serial = serial();
    let server = Server::start(&format!(
        "native_token = \"{TOKEN}\"\ndisable_hash_check = true\n\n[numbers]\n\
         international_prefixes = [\"00\", \"011\"]\nnational_prefix = \"0\"\n\
         country_code = \"370\"\nmin_digits = 5\n"
    ));
    let mut client = server.client();
    let forms = [
        "0037061234567",
        "01137061234567",
        "+37061234567",
        "061234567",
    ];
    let body = format!(
        r#"{{"account":"alice","numbers":["37061234567","{}","{}","{}","{}","3706"]}}"#,
        forms[0], forms[1], forms[2], forms[3]
    );
    let answer = authorized(&mut client, "POST", "/v1/rates", &body).json();
    let results = answer["results"].as_array().unwrap();
    let plain = &results[0];
    assert!(plain["prefix"].is_string(), "{answer}");
    for (result, form) in results[1..5].iter().zip(forms) {
        assert_eq!(result["number"], form);
        for field in ["tariff", "prefix", "destination", "rate"] {
            assert_eq!(result[field], plain[field], "{form}: {field}");
        }
    }
    assert_eq!(results[5]["number"], "3706");
    assert_eq!(results[5]["error"], "rate not found");
    let authorize = |client: &mut Client, number: &str| {
        authorized(
            client,
            "GET",
            &format!(
                "/v1/authorize?account=alice&number={}",
                number.replace('+', "%2B")
            ),
            "",
        )
        .json()
    };
    let allowed = authorize(&mut client, "37061234567");
    assert_eq!(authorize(&mut client, "01137061234567"), allowed);
    assert_eq!(authorize(&mut client, "3706")["reason"], "rate not found");
    let rate = |number: &str| {
        server
            .get(&format!(
                "/billing/api/rate_get?u=admin&username=admin&by_full_dst=1&hash=x&prefix={}",
                number.replace('+', "%2B")
            ))
            .body
    };
    let expected = rate("37061234567");
    assert!(expected.contains("<rate>"), "{expected}");
    for form in forms {
        assert_eq!(rate(form), expected, "{form}");
    }
    assert!(
        rate("3706").contains("Rate was not found"),
        "{}",
        rate("3706")
    );
}
