//! Durability: the real server is killed with SIGKILL while clients charge calls, then
//! restarted on the same ledger, and every id is sent again. Every id acknowledged before
//! the kill must come back `duplicate` with its original cost, nothing may be charged twice,
//! and every balance must equal its opening minus the exact sum of the calls charged. Also:
//! a second server on the same ledger refuses to start, and a reload keeps balances.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ratel_engine::money::Decimal;
use serde_json::Value;

const TOKEN: &str = "crash-test-token";

/// A running server on `dir`'s configuration; killed with SIGKILL when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    admin: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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

/// Starts the server on `dir`; `Err` with what it printed when it exits instead.
// The running child is returned: `Server::drop` kills and waits for it.
#[allow(clippy::zombie_processes)]
fn start(dir: &Path) -> Result<Server, String> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratel-server"))
        .arg("--config")
        .arg(dir.join("ratel.toml"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            return Err(said);
        }
        said.push_str(&line);
        if line.contains("listening on http://") {
            std::thread::spawn(move || {
                let mut sink = String::new();
                while stderr.read_line(&mut sink).is_ok_and(|n| n > 0) {
                    sink.clear();
                }
            });
            let after = |marker: &str| -> SocketAddr {
                let rest = &said[said.find(marker).unwrap() + marker.len()..];
                rest.split(['/', ' ']).next().unwrap().parse().unwrap()
            };
            return Ok(Server {
                addr: after("listening on http://"),
                admin: after("admin on http://"),
                child,
            });
        }
    }
}

/// A keep-alive connection speaking JSON.
struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        Ok(Client {
            stream,
            pending: Vec::new(),
        })
    }

    /// Sends one request; the status and the JSON body, or an error when the connection
    /// failed (the server was killed).
    fn call(&mut self, method: &str, target: &str, body: &str) -> std::io::Result<(u16, Value)> {
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes())?;
        let broken = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed");
        loop {
            if let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .ok_or_else(broken)?;
                if self.pending.len() >= end + 4 + length {
                    let status = head[9..12].parse().map_err(|_| broken())?;
                    let body: Vec<u8> = self
                        .pending
                        .drain(..end + 4 + length)
                        .skip(end + 4)
                        .collect();
                    let json = serde_json::from_slice(&body).map_err(|_| broken())?;
                    return Ok((status, json));
                }
            }
            let mut chunk = [0u8; 8192];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(broken());
            }
            self.pending.extend_from_slice(&chunk[..n]);
        }
    }
}

/// One call the clients charge: its id and the JSON object sent.
fn call_json(id: &str, payer: &str, billsec: u32) -> String {
    let (key, value) = payer.split_once('=').unwrap();
    format!(
        r#"{{"id":"{id}","{key}":"{value}","number":"37061234567","start":"2026-11-26 10:00:00","billsec":{billsec}}}"#
    )
}

/// The payers the clients charge, as `account=NAME` or `card=NUMBER`.
const PAYERS: [&str; 3] = ["account=alice", "account=bob", "card=1111111120"];

fn decimal(value: &Value) -> Decimal {
    Decimal::parse(value.as_str().unwrap(), true).unwrap()
}

fn balance(client: &mut Client, payer: &str) -> Decimal {
    let (status, body) = client
        .call("GET", &format!("/v1/balance?{payer}"), "")
        .unwrap();
    assert_eq!(status, 200, "{body}");
    decimal(&body["balance"])
}

/// Every id acknowledged before the kill, with its result.
type Acknowledged = BTreeMap<String, (usize, Decimal)>;

#[test]
fn sigkill_under_load_loses_no_acknowledged_charge_and_charges_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let server = start(dir.path()).unwrap();
    let mut client = Client::connect(server.addr).unwrap();
    let openings: Vec<Decimal> = PAYERS.iter().map(|p| balance(&mut client, p)).collect();

    // Eight clients charge calls (batches of 1 to 3) until the server dies under them.
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let sent: Arc<Mutex<Vec<(String, usize, u32)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|t| {
            let (acknowledged, sent, stop) = (acknowledged.clone(), sent.clone(), stop.clone());
            let addr = server.addr;
            std::thread::spawn(move || {
                let mut client = Client::connect(addr).unwrap();
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let batch: Vec<(String, usize, u32)> = (0..1 + i % 3)
                        .map(|k| {
                            (
                                format!("t{t}-{i}-{k}"),
                                (t + i + k) % PAYERS.len(),
                                1 + (i * 7 + k) as u32 % 300,
                            )
                        })
                        .collect();
                    sent.lock().unwrap().extend(batch.iter().cloned());
                    let body = format!(
                        r#"{{"calls":[{}]}}"#,
                        batch
                            .iter()
                            .map(|(id, payer, billsec)| call_json(id, PAYERS[*payer], *billsec))
                            .collect::<Vec<_>>()
                            .join(",")
                    );
                    let Ok((200, answer)) = client.call("POST", "/v1/calls", &body) else {
                        return;
                    };
                    let results = answer["results"].as_array().unwrap();
                    let mut acknowledged = acknowledged.lock().unwrap();
                    for ((id, payer, _), result) in batch.iter().zip(results) {
                        assert_eq!(result["id"], id.as_str());
                        assert_eq!(result["duplicate"], false, "{result}");
                        acknowledged.insert(id.clone(), (*payer, decimal(&result["cost"])));
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
    drop(server);
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

    // Restart on the same ledger and send every id again, in batches of 50.
    let server = start(dir.path()).unwrap();
    let mut client = Client::connect(server.addr).unwrap();
    let mut charged: BTreeMap<String, (usize, Decimal)> = BTreeMap::new();
    let mut fresh = 0;
    for chunk in sent.chunks(50) {
        let body = format!(
            r#"{{"calls":[{}]}}"#,
            chunk
                .iter()
                .map(|(id, payer, billsec)| call_json(id, PAYERS[*payer], *billsec))
                .collect::<Vec<_>>()
                .join(",")
        );
        let (status, answer) = client.call("POST", "/v1/calls", &body).unwrap();
        assert_eq!(status, 200, "{answer}");
        for ((id, payer, _), result) in chunk.iter().zip(answer["results"].as_array().unwrap()) {
            let cost = decimal(&result["cost"]);
            match acknowledged.get(id) {
                Some(&(_, first)) => {
                    assert_eq!(
                        result["duplicate"], true,
                        "acknowledged {id} charged again: {result}"
                    );
                    assert_eq!(
                        cost, first,
                        "{id}: the duplicate must carry the original cost"
                    );
                }
                None => {
                    // Sent but never answered: charged before the kill (duplicate) or now.
                    if result["duplicate"] == false {
                        fresh += 1;
                    }
                }
            }
            charged.insert(id.clone(), (*payer, cost));
        }
    }
    // Once more: now every id is a duplicate.
    let again = format!(
        r#"{{"calls":[{}]}}"#,
        call_json(&sent[0].0, PAYERS[sent[0].1], sent[0].2)
    );
    assert_eq!(
        client.call("POST", "/v1/calls", &again).unwrap().1["results"][0]["duplicate"],
        true
    );

    for (p, payer) in PAYERS.iter().enumerate() {
        let expected = charged
            .values()
            .filter(|(payer, _)| *payer == p)
            .fold(openings[p], |total, (_, cost)| {
                total.checked_add(cost.negated()).unwrap()
            });
        assert_eq!(balance(&mut client, payer), expected, "{payer}");
    }
    // A reload keeps every balance.
    let reload = admin_post(server.admin, "/reload");
    assert!(reload.starts_with("HTTP/1.1 200"), "{reload}");
    for (p, payer) in PAYERS.iter().enumerate() {
        let expected = charged
            .values()
            .filter(|(payer, _)| *payer == p)
            .fold(openings[p], |total, (_, cost)| {
                total.checked_add(cost.negated()).unwrap()
            });
        assert_eq!(
            balance(&mut client, payer),
            expected,
            "{payer} after a reload"
        );
    }
    drop(server);

    // The file holds exactly one call entry per id.
    let ledger = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
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

/// A bare `POST PATH` to the admin listener; the whole response.
fn admin_post(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_second_server_on_the_same_ledger_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    prepare(dir.path());
    let _first = start(dir.path()).unwrap();
    let said = match start(dir.path()) {
        Ok(_) => panic!("a second server started on the same ledger"),
        Err(said) => said,
    };
    assert!(
        said.contains("ERROR ratel-server: ledger ")
            && said.contains("is in use by another ratel-server"),
        "{said}"
    );
}
