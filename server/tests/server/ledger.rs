//! The ledger. Durability: the real server is killed with SIGKILL while clients charge calls,
//! then restarted on the same ledger, and every id is sent again. Every id acknowledged before
//! the kill must come back `duplicate` with its original cost, nothing may be charged twice,
//! and every balance must equal its opening minus the exact sum of the calls charged. The same
//! when the ledger's files are removed or replaced under load. Also: a second server on the
//! same ledger refuses to start, a missing ledger is created only when allowed, a reload keeps
//! balances, and over the MOR API a top-up survives a restart and concurrent balance updates
//! sum exactly.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::client::{Client, Response};
use crate::support::server::{launch, serial, Server};
use crate::support::LEDGER_TOKEN;
use ratel_engine::money::Decimal;
use serde_json::Value;

/// Writes the demo data and a configuration (JSON API on, ledger in `dir`).
fn prepare(dir: &Path) {
    ratel_engine::testing::write_demo_data(dir);
    std::fs::write(
        dir.join("ratel.toml"),
        format!(
            "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\
             [api]\npayments_over_api = true\nnative_token = \"{LEDGER_TOKEN}\"\n\
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
    let response = client.authorized(LEDGER_TOKEN, method, target, body);
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

/// Clients charging calls (batches of 1 to 3) until stopped or until the server stops
/// answering: what was sent, what was acknowledged, and how many requests were refused 503.
struct Load {
    acknowledged: Arc<Mutex<Acknowledged>>,
    sent: Arc<Mutex<Vec<Call>>>,
    refused: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    clients: Vec<std::thread::JoinHandle<()>>,
}

impl Load {
    fn start(server: &Server) -> Load {
        let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
        let sent: Arc<Mutex<Vec<Call>>> = Arc::default();
        let refused = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let clients = (0..CLIENTS)
            .map(|t| {
                let (acknowledged, sent, refused, stop) = (
                    acknowledged.clone(),
                    sent.clone(),
                    refused.clone(),
                    stop.clone(),
                );
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
                        let Some(response) = client.try_authorized(
                            LEDGER_TOKEN,
                            "POST",
                            "/v1/calls",
                            &calls_body(&batch),
                        ) else {
                            return;
                        };
                        // The ledger refusing every change: nothing of the batch was charged.
                        if response.status == 503 {
                            assert_eq!(response.body, r#"{"error":"ledger unavailable"}"#);
                            refused.fetch_add(1, Ordering::Relaxed);
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
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
        Load {
            acknowledged,
            sent,
            refused,
            stop,
            clients,
        }
    }

    /// Waits until `count` calls were acknowledged (20 s at most).
    fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.acknowledged.lock().unwrap().len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    /// Stops the clients (the server already killed, or not): what was acknowledged and sent.
    fn finish(self) -> (Acknowledged, Vec<Call>) {
        self.stop.store(true, Ordering::Relaxed);
        for client in self.clients {
            client.join().unwrap();
        }
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        let sent = self.sent.lock().unwrap().clone();
        (acknowledged, sent)
    }
}

/// After a restart: sends every id of `sent` again. Every id `acknowledged` before must come
/// back `duplicate` with its original cost, each balance must be its opening less the cost of
/// every call charged to it once, and a reload keeps them. The calls charged only now.
fn resend_and_check(
    server: &Server,
    openings: &[Decimal],
    acknowledged: &Acknowledged,
    sent: &[Call],
) -> BTreeMap<String, (usize, Decimal)> {
    let mut client = server.client();
    let mut charged: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    for chunk in sent.chunks(50) {
        let (status, answer) = call(&mut client, "POST", "/v1/calls", &calls_body(chunk));
        assert_eq!(status, 200, "{answer}");
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), chunk.len(), "{answer}");
        for (call, result) in chunk.iter().zip(results) {
            assert_eq!(result["id"], call.id.as_str());
            let cost = decimal(&result["cost"]);
            if let Some(&(_, first)) = acknowledged.get(&call.id) {
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
            // Sent but never acknowledged: charged before the kill (duplicate) or now.
            charged.insert(call.id.clone(), (call.payer, cost));
        }
    }
    // Once more: now every id is a duplicate.
    assert_eq!(
        call(&mut client, "POST", "/v1/calls", &calls_body(&sent[..1])).1["results"][0]
            ["duplicate"],
        true
    );
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
    let reload = server.admin_request("POST", "/reload");
    assert_eq!(reload.status, 200, "{}", reload.body);
    for (payer, expected) in PAYERS.iter().zip(&expected) {
        assert_eq!(
            &balance(&mut client, payer),
            expected,
            "{payer} after a reload"
        );
    }
    charged
}

/// A form POST of `query` to `path`.
fn post_form(server: &Server, path: &str, query: &str) -> Response {
    server
        .exchange(
        format!(
            "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{query}",
            query.len()
        )
        .as_bytes(),
    )
    .unwrap()
}

/// The signed query of a `user_balance_update` by the admin (`reference` appended when not
/// empty: it is not hashed).
fn balance_update_query(user_id: &str, balance: &str, reference: &str) -> String {
    let hash =
        ratel_engine::auth::request_hash(&[user_id.as_bytes(), balance.as_bytes()], b"secret");
    let hash = std::str::from_utf8(&hash).unwrap();
    let mut query = format!("u=admin&user_id={user_id}&balance={balance}&hash={hash}");
    if !reference.is_empty() {
        query.push_str(&format!("&reference={reference}"));
    }
    query
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_charge_and_charges_nothing_twice() {
    let _serial = serial();
    let mut server = start();
    let mut client = server.client();
    let openings: Vec<Decimal> = PAYERS.iter().map(|p| balance(&mut client, p)).collect();

    // Eight clients charge calls until the server dies under them.
    let load = Load::start(&server);
    load.wait_for(300);
    server.kill();
    // SIGKILL leaves no time to answer anything: no request was refused.
    assert_eq!(load.refused(), 0);
    let (acknowledged, sent) = load.finish();
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
    let charged = resend_and_check(&server, &openings, &acknowledged, &sent);
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
        "crash test: {} calls acknowledged before SIGKILL, {} sent in all, {} charged only after the restart",
        acknowledged.len(),
        sent.len(),
        charged.len() - acknowledged.len()
    );
}

/// Issue 16, defect 2: the ledger file (or its `-wal`) removed, or replaced, while clients
/// charge calls. Before, charges went on being acknowledged (`/healthz` ok) and a restart
/// started a fresh ledger and charged the same ids again; removing only the `-wal` and a
/// SIGKILL within 200 ms lost every acknowledged charge still in it. Now every change is
/// refused 503 once the server notices, `/healthz` answers 503 with the reason, the server is
/// killed (SIGKILL) 100 ms after the file went, and after a restart (with the rescued copy
/// put in place, as the log says, when the ledger file itself went) every acknowledged
/// charge is there once and nothing is charged twice.
#[test]
fn a_ledger_file_removed_or_replaced_under_load_refuses_changes_and_loses_nothing() {
    let _serial = serial();
    for how in ["remove the log", "remove", "replace"] {
        let mut server = start();
        let path = server.dir.path().join("ledger.sqlite");
        let mut client = server.client();
        let openings: Vec<Decimal> = PAYERS.iter().map(|p| balance(&mut client, p)).collect();
        let load = Load::start(&server);
        load.wait_for(200);
        match how {
            "remove the log" => std::fs::remove_file(server.dir.path().join("ledger.sqlite-wal")),
            "remove" => std::fs::remove_file(&path),
            _ => {
                let other = server.dir.path().join("other.sqlite");
                std::fs::write(&other, b"another file").unwrap();
                std::fs::rename(&other, &path)
            }
        }
        .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let health = server.admin_request("GET", "/healthz");
        server.kill();
        let refused = load.refused();
        let (acknowledged, sent) = load.finish();
        assert_eq!(health.status, 503, "{how}: {}", health.body);
        assert!(
            health.body.starts_with("ledger unusable: ")
                && health
                    .body
                    .contains("refused until the server is restarted"),
            "{how}: {}",
            health.body
        );
        assert!(refused > 0, "{how}: no change was refused");
        assert!(acknowledged.len() >= 200, "{how}");
        let log = server.log();
        assert!(
            log.contains("ERROR ratel-server: ledger: the ledger"),
            "{how}: {log}"
        );
        // Issue 16, defect 7: the ledger's lines follow the log's format (they had no time).
        for line in log.lines() {
            let dated = line.get(10..11) == Some("T")
                && line.get(23..25) == Some("Z ")
                && line[25..].split_once(" ratel-server: ").is_some();
            assert!(dated, "{how}: a line not in the log's format: {line}");
        }
        if how != "remove the log" {
            // No silent fresh start: the server refuses while the rescued copy lies there.
            let (second, said) = launch(&server.config());
            assert!(second.is_none(), "{how}: started beside a rescued copy");
            assert!(
                said.contains("a rescued copy of it lies beside it"),
                "{how}: {said}"
            );
            let copy = std::fs::read_dir(server.dir.path())
                .unwrap()
                .map(|entry| entry.unwrap().path())
                .find(|p| p.to_string_lossy().contains(".rescued-"))
                .unwrap();
            assert!(log.contains(&copy.display().to_string()), "{how}: {log}");
            std::fs::rename(&copy, &path).unwrap();
        }
        server.kill_and_restart();
        let charged = resend_and_check(&server, &openings, &acknowledged, &sent);
        eprintln!(
            "{how}: {} acknowledged, {refused} requests refused 503, {} sent, {} charged on the resend",
            acknowledged.len(),
            sent.len(),
            charged.len() - acknowledged.len()
        );
    }
}

#[test]
fn a_second_server_on_the_same_ledger_refuses_to_start() {
    let _serial = serial();
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

/// Issue 16, defects 2 and 6: `[ledger] create = false` makes a missing ledger a startup
/// error and creates nothing; by default a new ledger is created and the log says so; and a
/// configuration or data error creates nothing either.
#[test]
fn a_missing_ledger_is_created_only_when_allowed_and_only_after_the_data_is_checked() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let config = dir.path().join("ratel.toml");
    let ledger = dir.path().join("ledger.sqlite");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}create = false\n")).unwrap();
    let (server, said) = launch(&config);
    assert!(server.is_none(), "started without its ledger");
    assert!(
        said.contains("does not exist (or is an empty file), and [ledger] create = false"),
        "{said}"
    );
    assert!(!ledger.exists());
    // Bad data: refused before anything is created.
    std::fs::write(&config, &text).unwrap();
    let users = dir.path().join("users.csv");
    let good_users = std::fs::read_to_string(&users).unwrap();
    std::fs::write(&users, format!("{good_users}9,broken\n")).unwrap();
    let (server, said) = launch(&config);
    assert!(server.is_none(), "started on broken data");
    assert!(said.contains("cannot load the data"), "{said}");
    assert!(
        !ledger.exists(),
        "a ledger was created before the data was checked"
    );
    std::fs::write(&users, good_users).unwrap();
    let (server, said) = launch(&config);
    let mut server = server.unwrap_or_else(|| panic!("{said}"));
    let _ = server.kill();
    let _ = server.wait();
    assert!(
        said.contains("WARN ratel-server: ledger ") && said.contains("created a new, empty ledger"),
        "{said}"
    );
    assert!(ledger.exists());
}

/// Issue 10: a top-up is seen by the very next balance read, and a change that was answered
/// survives SIGKILL of the server: the restarted server answers the same balances, and a
/// repeated reference is still not applied twice.
#[test]
fn a_top_up_is_seen_at_once_and_survives_a_restart() {
    let _serial = serial();
    let mut server = Server::start("payments_over_api = true\n");
    let simple_balance =
        |server: &Server| server.get("/billing/api/simple_balance?id=a1b2c3d4e5").body;
    let card_balance = |server: &Server| {
        server.get(
            "/billing/api/card_balance_get?u=admin&number=1111111120&hash=4bae1cf46458c1e0f83934ae982247c8e1e5ee37",
        )
        .body
    };
    assert_eq!(simple_balance(&server), "60.0000");
    let top_up = balance_update_query("3", "10", "pay-1");
    let answer = post_form(&server, "/billing/api/user_balance_update", &top_up);
    assert!(
        answer.body.contains("<balance>70.0</balance>"),
        "{}",
        answer.body
    );
    assert_eq!(simple_balance(&server), "70.0000");
    let paid = post_form(
        &server,
        "/billing/api/card_payment_add",
        "u=admin&number=1111111120&amount=9.2&currency=EUR&description=top-up&hash=137f466c93497526396265ebd4ea744e6f0022c2",
    );
    assert!(
        paid.body.contains("<new_balance>35.0</new_balance>"),
        "{}",
        paid.body
    );
    assert!(card_balance(&server).contains("<balance>35.0</balance>"));

    server.kill_and_restart();
    assert_eq!(simple_balance(&server), "70.0000");
    assert!(card_balance(&server).contains("<balance>35.0</balance>"));
    let repeated = post_form(&server, "/billing/api/user_balance_change", &top_up);
    assert_eq!(repeated.body, answer.body);
    assert_eq!(simple_balance(&server), "70.0000");
}

/// Issue 10: many clients changing one balance at once over HTTP: every change is answered,
/// and the balance is the opening plus the exact sum of the answered changes.
#[test]
fn concurrent_balance_updates_over_http_sum_exactly() {
    let _serial = serial();
    let server = Server::start("payments_over_api = true\n");
    const CLIENTS: usize = 8;
    const EACH: usize = 20;
    std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let server = &server;
            scope.spawn(move || {
                // 0.01 ... 0.08: amounts a binary float cannot hold exactly.
                let amount = format!("0.0{}", client + 1);
                for _ in 0..EACH {
                    let query = balance_update_query("6", &amount, "");
                    let answer = post_form(server, "/billing/api/user_balance_update", &query);
                    assert!(
                        answer
                            .body
                            .contains("<status>User balance updated</status>"),
                        "{}",
                        answer.body
                    );
                }
            });
        }
    });
    // dave: 15.5 + 20 × (0.01 + ... + 0.08) = 15.5 + 7.2
    assert_eq!(
        server.get("/billing/api/simple_balance?id=d4v3h4sh").body,
        "22.7000"
    );
}
