//! The JSON API over HTTP against the real `ratel-server` binary on an ephemeral port, with
//! its own ledger file: golden bodies compared whole (`fixtures/golden/native/`), the
//! token and body-size gates, idempotency, and many clients charging the same accounts.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ratel_engine::money::Decimal;

/// These tests start servers; one at a time keeps them quick on two cores.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const TOKEN: &str = "t0k3n-for-tests";

/// A running server on the demo data (card groups priced by `retail` and `wholesale`),
/// with a ledger in its folder; killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    admin: SocketAddr,
    /// `None` once the server was killed and its folder handed over for a restart.
    dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server whose `[api]` section is `api` (the token and anything else).
    fn start(api: &str) -> Server {
        let dir = tempfile::tempdir().unwrap();
        ratel_engine::testing::write_demo_data(dir.path());
        std::fs::write(
            dir.path().join("card_groups.csv"),
            "id,name,owner_id,tariff\n1,Retail cards,0,retail\n2,Reseller cards,2,wholesale\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("ratel.toml"),
            format!("listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n[api]\n{api}\n"),
        )
        .unwrap();
        Server::start_in(dir)
    }

    /// Starts a server on the data folder `dir` (its `ratel.toml`, its ledger).
    fn start_in(dir: tempfile::TempDir) -> Server {
        let (child, said) = launch(&dir.path().join("ratel.toml"));
        let address_after = |marker: &str| -> SocketAddr {
            let rest = &said[said.find(marker).unwrap() + marker.len()..];
            rest.split(['/', ' ']).next().unwrap().parse().unwrap()
        };
        Server {
            child,
            addr: address_after("listening on http://"),
            admin: address_after("admin on http://"),
            dir: Some(dir),
        }
    }

    /// Kills the server with SIGKILL (no chance to finish anything) and hands its folder back.
    fn kill(mut self) -> tempfile::TempDir {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.dir.take().unwrap()
    }

    fn client(&self) -> Client {
        Client::connect(self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary and waits until it says it listens; stderr keeps being drained.
// The running child is returned: `Server::drop` kills and waits for it.
#[allow(clippy::zombie_processes)]
fn launch(config: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratel-server"))
        .arg("--config")
        .arg(config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the server did not start: {said}"
        );
        said.push_str(&line);
        if line.contains("listening on http://") {
            std::thread::spawn(move || {
                let mut sink = String::new();
                while stderr.read_line(&mut sink).is_ok_and(|n| n > 0) {
                    sink.clear();
                }
            });
            return (child, said);
        }
    }
}

/// One response: status, content type, body.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Response {
    status: u16,
    content_type: String,
    body: String,
    /// The `Allow` header (a 405's).
    allow: Option<String>,
}

/// A keep-alive connection.
struct Client {
    stream: TcpStream,
    pending: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        Client {
            stream,
            pending: Vec::new(),
        }
    }

    /// Sends `method target` with `headers` (each ending in CRLF) and `body`.
    fn send(&mut self, method: &str, target: &str, headers: &str, body: &[u8]) -> Response {
        self.try_send(method, target, headers, body).unwrap()
    }

    /// [`Client::send`]; `None` when the connection failed before the whole answer came.
    fn try_send(
        &mut self,
        method: &str,
        target: &str,
        headers: &str,
        body: &[u8],
    ) -> Option<Response> {
        let head = format!(
            "{method} {target} HTTP/1.1\r\nHost: t\r\n{headers}Content-Length: {}\r\n\r\n",
            body.len()
        );
        let mut request = head.into_bytes();
        request.extend_from_slice(body);
        self.stream.write_all(&request).ok()?;
        self.read()
    }

    /// A request with the right token.
    fn authorized(&mut self, method: &str, target: &str, body: &str) -> Response {
        self.try_authorized(method, target, body).unwrap()
    }

    /// [`Client::authorized`]; `None` when the connection failed.
    fn try_authorized(&mut self, method: &str, target: &str, body: &str) -> Option<Response> {
        let headers =
            format!("Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n");
        self.try_send(method, target, &headers, body.as_bytes())
    }

    fn read(&mut self) -> Option<Response> {
        loop {
            if let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.pending[..end]).into_owned();
                let header = |name: &str| {
                    head.lines().find_map(|l| {
                        l.split_once(':')
                            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_owned())
                    })
                };
                let length: usize = header("content-length").unwrap().parse().unwrap();
                while self.pending.len() < end + 4 + length {
                    self.fill()?;
                }
                let body =
                    String::from_utf8(self.pending[end + 4..end + 4 + length].to_vec()).unwrap();
                self.pending.drain(..end + 4 + length);
                return Some(Response {
                    status: head[9..12].parse().unwrap(),
                    content_type: header("content-type").unwrap_or_default(),
                    body,
                    allow: header("allow"),
                });
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Option<()> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk).ok()?;
        (n > 0).then(|| self.pending.extend_from_slice(&chunk[..n]))
    }
}

fn golden_dir() -> PathBuf {
    ratel_engine::testing::repo().join("fixtures/golden/native")
}

/// The requests of `fixtures/golden/native/cases.tsv`, replayed in order on one server (the
/// charges of one case are seen by the next): each answer's status and whole body must be
/// the golden file's.
#[test]
fn golden_bodies_over_http() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let mut client = server.client();
    let cases = std::fs::read_to_string(golden_dir().join("cases.tsv")).unwrap();
    let mut checked = 0;
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, status, method, target, body] = fields[..] else {
            panic!("malformed line in cases.tsv: {line}");
        };
        let body = if body == "-" { "" } else { body };
        let response = client.authorized(method, target, body);
        let expected = std::fs::read_to_string(golden_dir().join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (response.status.to_string().as_str(), response.body.as_str()),
            (status, expected.trim_end()),
            "{name}"
        );
        assert_eq!(response.content_type, "application/json", "{name}");
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} golden cases");
}

#[test]
fn the_token_gates_every_path_and_an_empty_token_hides_the_api() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    let mut client = server.client();
    let unauthorized = Response {
        status: 401,
        content_type: "application/json".into(),
        body: r#"{"error":"unauthorized"}"#.into(),
        allow: None,
    };
    for headers in [
        "",
        "Authorization: Bearer wrong\r\n",
        "Authorization: Basic dDBrM24=\r\n",
        "Authorization: Bearer t0k3n-for-test\r\n",
    ] {
        assert_eq!(
            client.send("GET", "/v1/balance?account=alice", headers, b""),
            unauthorized,
            "{headers}"
        );
        assert_eq!(
            client.send("POST", "/v1/anything", headers, b"{}"),
            unauthorized
        );
    }
    let not_found = client.authorized("GET", "/v1/nothing", "");
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
        let response = client.authorized(method, target, "");
        assert_eq!(
            (response.status, response.allow.as_deref()),
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

#[test]
fn bodies_up_to_a_mebibyte_are_read_and_larger_ones_refused_in_json() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    // 1 MiB exactly: read whole, then refused for its content (1,001+ calls would be too
    // many, but this one is a single call padded with spaces).
    let call = r#"{"calls":[{"id":"big-1","account":"alice","number":"370","start":"2026-11-26 10:00:00","billsec":60}]}"#;
    let mut body = call.as_bytes().to_vec();
    body.resize(1024 * 1024, b' ');
    let mut client = server.client();
    let response = client.authorized("POST", "/v1/calls", std::str::from_utf8(&body).unwrap());
    assert_eq!(response.status, 200, "{}", response.body);
    assert!(
        response.body.contains(r#""cost":"0.500000""#),
        "{}",
        response.body
    );
    body.push(b' ');
    let mut client = server.client();
    let response = client.authorized("POST", "/v1/calls", std::str::from_utf8(&body).unwrap());
    assert_eq!(
        response,
        Response {
            status: 413,
            content_type: "application/json".into(),
            body: r#"{"error":"the body is larger than the JSON API's limit of 1048576 bytes"}"#
                .into(),
            allow: None,
        }
    );
    // Elsewhere the limit stays 64 KiB.
    let mut client = server.client();
    let response = client.send(
        "POST",
        "/billing/api/rate_get",
        "",
        &vec![b'a'; 64 * 1024 + 1],
    );
    assert_eq!(
        (response.status, response.body.as_str()),
        (413, "413 Payload Too Large")
    );
}

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
    let response = client.authorized("GET", &format!("/v1/balance?{query}"), "");
    let answer: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    Decimal::parse(answer["balance"].as_str().unwrap(), true).unwrap()
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
                            client.authorized("POST", "/v1/calls", &format!(r#"{{"calls":[{call}]}}"#));
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
                        let response = client.authorized("POST", "/v1/calls", &body);
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
    let mut admin = Client::connect(server.admin);
    let metrics = admin.send("GET", "/metrics", "", b"").body;
    let requests = (THREADS * (CALLS + CALLS / 10)) as f64;
    let line = "ratel_native_requests_total{endpoint=\"calls\",outcome=\"answered\"}";
    let counted: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(line)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert_eq!(counted, requests);
}

/// `kill -9` while clients charge calls, then a restart on the same ledger and every id
/// sent again: every call acknowledged before the kill answers `duplicate` with its original
/// cost, none is charged twice, and each balance is its opening less the exact sum of the
/// costs of all the calls (each charged once, before or after the kill).
#[test]
fn a_server_killed_while_charging_keeps_every_acknowledged_call_and_charges_none_twice() {
    let _serial = serial();
    let server = Server::start(&format!("native_token = \"{TOKEN}\""));
    const PAYERS: [(&str, &str, &str); 3] = [
        ("account", "alice", "account=alice"),
        ("account", "bob", "account=bob"),
        ("card", "1111111120", "card=1111111120"),
    ];
    const NUMBERS: [&str; 3] = ["37061234567", "12125550100", "370"];
    let mut client = server.client();
    let openings: Vec<Decimal> = PAYERS
        .iter()
        .map(|(_, _, query)| balance(&mut client, query))
        .collect();
    // Per call: its JSON, its payer, and its cost when the server acknowledged it.
    type Sent = Vec<(String, usize, Option<Decimal>)>;
    let addr = server.addr;
    let clients: Vec<std::thread::JoinHandle<Sent>> = (0..8)
        .map(|thread| {
            std::thread::spawn(move || {
                let mut client = Client::connect(addr);
                let mut sent: Sent = Vec::new();
                for i in 0usize.. {
                    let payer = (thread + i) % PAYERS.len();
                    let (field, name, _) = PAYERS[payer];
                    let call = format!(
                        r#"{{"id":"kill-{thread}-{i}","{field}":"{name}","number":"{}","start":"2026-11-26 10:00:00","billsec":{}}}"#,
                        NUMBERS[i % NUMBERS.len()],
                        1 + (i * 13 + thread) % 300
                    );
                    let body = format!(r#"{{"calls":[{call}]}}"#);
                    let Some(response) = client.try_authorized("POST", "/v1/calls", &body) else {
                        sent.push((call, payer, None));
                        break;
                    };
                    assert_eq!(response.status, 200, "{}", response.body);
                    let [(cost, false)] = charges(&response.body)[..] else {
                        panic!("{}", response.body);
                    };
                    sent.push((call, payer, Some(cost)));
                }
                sent
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    let dir = server.kill();
    let sent: Vec<(String, usize, Option<Decimal>)> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    let acknowledged = sent.iter().filter(|(_, _, cost)| cost.is_some()).count();
    assert!(
        acknowledged >= 100,
        "only {acknowledged} calls before the kill"
    );

    let server = Server::start_in(dir);
    let mut client = server.client();
    let mut spent = vec![Decimal::ZERO; PAYERS.len()];
    let mut charged_again = 0;
    for batch in sent.chunks(100) {
        let calls: Vec<&str> = batch.iter().map(|(call, _, _)| call.as_str()).collect();
        let response = client.authorized(
            "POST",
            "/v1/calls",
            &format!(r#"{{"calls":[{}]}}"#, calls.join(",")),
        );
        assert_eq!(response.status, 200, "{}", response.body);
        for ((cost, duplicate), (call, payer, first)) in
            charges(&response.body).into_iter().zip(batch)
        {
            match first {
                Some(first) => {
                    assert!(
                        duplicate,
                        "acknowledged before the kill, charged again: {call}"
                    );
                    assert_eq!(&cost, first, "{call}");
                }
                // Sent but not acknowledged: committed before the kill (a duplicate now) or
                // not (charged now); either way once.
                None => charged_again += usize::from(!duplicate),
            }
            spent[*payer] = spent[*payer].checked_add(cost).unwrap();
        }
    }
    assert!(charged_again <= 8);
    for (index, (_, _, query)) in PAYERS.iter().enumerate() {
        assert_eq!(
            balance(&mut client, query),
            openings[index].checked_add(spent[index].negated()).unwrap(),
            "{query}"
        );
    }
}
