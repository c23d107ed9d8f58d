//! Durability: the real server is killed with SIGKILL while clients charge calls, then
//! restarted on the same ledger, and every id is sent again. Every id acknowledged before
//! the kill must come back `duplicate` with its original cost, nothing may be charged twice,
//! and every balance must equal its opening minus the exact sum of the calls charged. Also:
//! a second server on the same ledger refuses to start, and a reload keeps balances.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::client::Client;
use common::server::{launch, Server};
use ratel_engine::money::Decimal;
use serde_json::Value;

const TOKEN: &str = "crash-test-token";

/// Writes the demo data and a configuration (JSON API on, ledger in `dir`).
fn prepare(dir: &Path) {
    ratel_engine::testing::write_demo_data(dir);
    std::fs::write(
        dir.join("ratel.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
             [api]\npayments_over_api = true\nnative_token = \"{TOKEN}\"\n\
             [ledger]\npath = \"ledger.sqlite\"\n"
        ),
    )
    .unwrap();
}

/// A server on a new data folder made by [`prepare`].
fn start() -> Server {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    Server::start_in(dir, None)
}

/// Sends one JSON API request; the status and the JSON body.
fn call(client: &mut Client, method: &str, target: &str, body: &str) -> (u16, Value) {
    let response = client.authorized(TOKEN, method, target, body);
    (response.status, response.json())
}

/// The payers the clients charge, as `account=NAME` or `card=NUMBER`.
const PAYERS: [&str; 3] = ["account=alice", "account=bob", "card=1111111120"];

/// The numbers they call: three destinations, three rates (the shortest a prefix alone).
const NUMBERS: [&str; 3] = ["37061234567", "12125550100", "370"];

/// One call the clients charge.
#[derive(Debug, Clone)]
struct Call {
    id: String,
    /// An index in [`PAYERS`].
    payer: usize,
    number: &'static str,
    billsec: u32,
}

impl Call {
    /// The JSON object sent.
    fn json(&self) -> String {
        let (key, value) = PAYERS[self.payer].split_once('=').unwrap();
        format!(
            r#"{{"id":"{}","{key}":"{value}","number":"{}","start":"2026-11-26 10:00:00","billsec":{}}}"#,
            self.id, self.number, self.billsec
        )
    }
}

/// The body of a `/v1/calls` request charging `calls`.
fn calls_body(calls: &[Call]) -> String {
    let calls: Vec<String> = calls.iter().map(Call::json).collect();
    format!(r#"{{"calls":[{}]}}"#, calls.join(","))
}

fn decimal(value: &Value) -> Decimal {
    Decimal::parse(value.as_str().unwrap(), true).unwrap()
}

fn balance(client: &mut Client, payer: &str) -> Decimal {
    let (status, body) = call(client, "GET", &format!("/v1/balance?{payer}"), "");
    assert_eq!(status, 200, "{body}");
    decimal(&body["balance"])
}

/// Every id acknowledged before the kill, with its result.
type Acknowledged = BTreeMap<String, (usize, Decimal)>;

/// The clients charging calls, and the calls in each of their requests.
const CLIENTS: usize = 8;
const MOST_PER_REQUEST: usize = 3;

#[test]
fn sigkill_under_load_loses_no_acknowledged_charge_and_charges_nothing_twice() {
    let mut server = start();
    let mut client = server.client();
    let openings: Vec<Decimal> = PAYERS.iter().map(|p| balance(&mut client, p)).collect();

    // Eight clients charge calls (batches of 1 to 3) until the server dies under them.
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let sent: Arc<Mutex<Vec<Call>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (acknowledged, sent, stop) = (acknowledged.clone(), sent.clone(), stop.clone());
            let mut client = server.client();
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let batch: Vec<Call> = (0..1 + i % MOST_PER_REQUEST)
                        .map(|k| Call {
                            id: format!("t{t}-{i}-{k}"),
                            payer: (t + i + k) % PAYERS.len(),
                            number: NUMBERS[(i + k) % NUMBERS.len()],
                            billsec: 1 + (i * 7 + k) as u32 % 300,
                        })
                        .collect();
                    sent.lock().unwrap().extend(batch.iter().cloned());
                    // SIGKILL leaves no time to answer anything: every answer is a 200.
                    let Some(response) =
                        client.try_authorized(TOKEN, "POST", "/v1/calls", &calls_body(&batch))
                    else {
                        return;
                    };
                    assert_eq!(response.status, 200, "{}", response.body);
                    let answer = response.json();
                    let results = answer["results"].as_array().unwrap();
                    let mut acknowledged = acknowledged.lock().unwrap();
                    for (call, result) in batch.iter().zip(results) {
                        assert_eq!(result["id"], call.id.as_str());
                        assert_eq!(result["duplicate"], false, "{result}");
                        acknowledged
                            .insert(call.id.clone(), (call.payer, decimal(&result["cost"])));
                    }
                }
            })
        })
        .collect();
    // Let them charge for a while, then kill the server mid-flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acknowledged.lock().unwrap().len() < 300 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 300,
        "only {} calls were charged before the kill",
        acknowledged.len()
    );
    // Each client stops at its first request without an answer: at most one per client is
    // unacknowledged.
    let unanswered = sent.len() - acknowledged.len();
    assert!(
        unanswered <= CLIENTS * MOST_PER_REQUEST,
        "{unanswered} calls sent without an answer"
    );

    // Restart on the same ledger and send every id again, in batches of 50.
    server.kill_and_restart();
    let mut client = server.client();
    let mut charged: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    let mut fresh = 0;
    for chunk in sent.chunks(50) {
        let (status, answer) = call(&mut client, "POST", "/v1/calls", &calls_body(chunk));
        assert_eq!(status, 200, "{answer}");
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), chunk.len(), "{answer}");
        for (call, result) in chunk.iter().zip(results) {
            assert_eq!(result["id"], call.id.as_str());
            let cost = decimal(&result["cost"]);
            match acknowledged.get(&call.id) {
                Some(&(_, first)) => {
                    assert_eq!(
                        result["duplicate"], true,
                        "acknowledged {} charged again: {result}",
                        call.id
                    );
                    assert_eq!(
                        cost, first,
                        "{}: the duplicate must carry the original cost",
                        call.id
                    );
                }
                None => {
                    // Sent but never answered: charged before the kill (duplicate) or now.
                    if result["duplicate"] == false {
                        fresh += 1;
                    }
                }
            }
            charged.insert(call.id.clone(), (call.payer, cost));
        }
    }
    // Once more: now every id is a duplicate.
    assert_eq!(
        call(&mut client, "POST", "/v1/calls", &calls_body(&sent[..1])).1["results"][0]
            ["duplicate"],
        true
    );

    // Each balance: its opening less the cost of every call charged to it, once.
    let expected: Vec<Decimal> = (0..PAYERS.len())
        .map(|p| {
            charged
                .values()
                .filter(|(payer, _)| *payer == p)
                .fold(openings[p], |total, (_, cost)| {
                    total.checked_add(cost.negated()).unwrap()
                })
        })
        .collect();
    for (payer, expected) in PAYERS.iter().zip(&expected) {
        assert_eq!(&balance(&mut client, payer), expected, "{payer}");
    }
    // A reload keeps every balance.
    let reload = server.admin_request("POST", "/reload");
    assert_eq!(reload.status, 200, "{}", reload.body);
    for (payer, expected) in PAYERS.iter().zip(&expected) {
        assert_eq!(
            &balance(&mut client, payer),
            expected,
            "{payer} after a reload"
        );
    }
    server.kill();

    // The file holds exactly one call entry per id.
    let ledger = rusqlite::Connection::open(server.dir.path().join("ledger.sqlite")).unwrap();
    let (entries, distinct): (i64, i64) = ledger
        .query_row(
            "SELECT count(*), count(DISTINCT reference) FROM entries WHERE kind = 'call'",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (entries, distinct),
        (charged.len() as i64, charged.len() as i64)
    );
    eprintln!(
        "crash test: {} calls acknowledged before SIGKILL, {} sent in all, {fresh} charged only after the restart",
        acknowledged.len(),
        sent.len()
    );
}

#[test]
fn a_second_server_on_the_same_ledger_refuses_to_start() {
    let first = start();
    let (second, said) = launch(&first.config());
    if let Some(mut second) = second {
        let _ = second.kill();
        let _ = second.wait();
        panic!("a second server started on the same ledger");
    }
    assert!(
        said.contains("ERROR ratel-server: ledger ")
            && said.contains("is in use by another ratel-server"),
        "{said}"
    );
}
