//! API latency with and without reloads of 100k users and 100k cards: a measurement, run by
//! hand in release mode (it generates its data under `target/`, and its figures mean
//! nothing in a debug build):
//!
//! ```text
//! cargo test --release -p ratel-server --test slow reload_latency -- --ignored --nocapture
//! ```
//!
//! `RATEL_SERVER_BIN` may name another `ratel-server` binary to measure (an older build,
//! for a before-and-after). It asserts only what must hold whatever the machine: every
//! reload is answered 200 and every API request is answered 200 throughout. The figures
//! (p50, p99 and max latency of each phase) are printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const USERS: usize = 100_000;

const CARDS: usize = 100_000;

const PHASE: Duration = Duration::from_secs(6);

const RELOAD_EVERY: Duration = Duration::from_millis(500);

const CLIENTS: usize = 4;

/// The data folder under `target/`, generated once.
fn data() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/reload-latency");
    if dir.join(".complete").exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    let create =
        |name: &str| std::io::BufWriter::new(std::fs::File::create(dir.join(name)).unwrap());
    let deck = ratel_tools::ratel_gen::deck(10_000, 1);
    ratel_tools::ratel_gen::write_deck(&deck, create("wholesale.csv")).unwrap();
    ratel_tools::ratel_gen::write_currencies(create("currencies.csv")).unwrap();
    let owners =
        ratel_tools::ratel_gen::write_users(USERS, "wholesale", 1, create("users.csv")).unwrap();
    ratel_tools::ratel_gen::write_cards(
        CARDS,
        &owners,
        1,
        create("card_groups.csv"),
        create("cards.csv"),
    )
    .unwrap();
    let source = ratel_engine::compile::TariffSource {
        name: "wholesale".into(),
        currency: "USD".into(),
        path: dir.join("wholesale.csv"),
    };
    let compiled = ratel_engine::compile::compile(&[source], |_| {}).unwrap();
    std::fs::write(dir.join("tariffs.ratel"), compiled.bytes).unwrap();
    std::fs::write(dir.join(".complete"), "").unwrap();
    dir
}

/// Latency figures of one phase.
fn summary(mut micros: Vec<u64>) -> String {
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    format!(
        "{} requests, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        micros.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

/// One keep-alive GET; the status and the time it took.
fn timed_get(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) -> (u16, Duration) {
    let started = Instant::now();
    stream.write_all(request).unwrap();
    buf.clear();
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).unwrap();
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(buf);
        if let Some(end) = text.find("\r\n\r\n") {
            let length: usize = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .unwrap()
                .parse()
                .unwrap();
            if buf.len() >= end + 4 + length {
                return (text[9..12].parse().unwrap(), started.elapsed());
            }
        }
    }
}

#[test]
#[ignore = "a measurement: run by hand in release mode (see the file's head)"]
fn api_latency_with_and_without_reloads_of_100k_users() {
    let data = data();
    let dir = tempfile::tempdir().unwrap();
    // Two copies of users.csv renamed over the configured path in turn: a new inode at
    // every reload, so the accounts are read again each time.
    let users = dir.path().join("users.csv");
    for copy in ["users.a", "users.b"] {
        std::fs::copy(data.join("users.csv"), dir.path().join(copy)).unwrap();
    }
    std::fs::copy(data.join("users.csv"), &users).unwrap();
    let config = dir.path().join("ratel.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n[data]\nartifact = \"{0}/tariffs.ratel\"\nusers = \"{1}\"\ncards = \"{0}/cards.csv\"\ncard_groups = \"{0}/card_groups.csv\"\ncurrencies = \"{0}/currencies.csv\"\n",
            data.display(),
            users.display()
        ),
    )
    .unwrap();
    let binary = std::env::var("RATEL_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ratel-server").into());
    let mut child = Command::new(&binary)
        .arg("--config")
        .arg(&config)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("listening on http://") {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "{said}");
        said.push_str(&line);
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let address = |marker: &str| -> SocketAddr {
        let rest = &said[said.find(marker).unwrap() + marker.len()..];
        rest.split(['/', ' ']).next().unwrap().parse().unwrap()
    };
    let (api, admin) = (address("listening on http://"), address("admin on http://"));

    let reloading = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (reloading, stop) = (Arc::clone(&reloading), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(api).unwrap();
                stream.set_nodelay(true).unwrap();
                let request = b"GET /billing/api/simple_balance/nobody HTTP/1.1\r\nHost: t\r\n\r\n";
                let (mut quiet, mut during) = (Vec::new(), Vec::new());
                let mut buf = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let phase = reloading.load(Ordering::Relaxed);
                    let (status, took) = timed_get(&mut stream, request, &mut buf);
                    assert_eq!(status, 200);
                    let micros = took.as_micros() as u64;
                    if phase && reloading.load(Ordering::Relaxed) {
                        during.push(micros);
                    } else if !phase {
                        quiet.push(micros);
                    }
                    // ~2,000 requests a second a client: latency, not throughput.
                    std::thread::sleep(Duration::from_micros(500));
                }
                (quiet, during)
            })
        })
        .collect();
    std::thread::sleep(PHASE);
    reloading.store(true, Ordering::Relaxed);
    let started = Instant::now();
    let mut answers = Vec::new();
    let mut turn = 0;
    while started.elapsed() < PHASE {
        let copy = dir
            .path()
            .join(if turn % 2 == 0 { "users.a" } else { "users.b" });
        turn += 1;
        let linked = dir.path().join("users.next");
        let _ = std::fs::remove_file(&linked);
        std::fs::hard_link(&copy, &linked).unwrap();
        std::fs::rename(&linked, &users).unwrap();
        let mut stream = TcpStream::connect(admin).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (status, took) = timed_get(
            &mut stream,
            b"POST /reload HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
            &mut Vec::new(),
        );
        answers.push((status, took));
        std::thread::sleep(RELOAD_EVERY.saturating_sub(took));
    }
    reloading.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    let (mut quiet, mut during) = (Vec::new(), Vec::new());
    for client in clients {
        let (q, d) = client.join().unwrap();
        quiet.extend(q);
        during.extend(d);
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut reload_ms: Vec<u64> = answers.iter().map(|(_, t)| t.as_millis() as u64).collect();
    reload_ms.sort_unstable();
    println!("server: {binary}");
    println!("without reloads: {}", summary(quiet));
    println!(
        "with reloads:    {} ({} reloads of {USERS} users and {CARDS} cards, answered in {}..{} ms)",
        summary(during),
        answers.len(),
        reload_ms.first().unwrap_or(&0),
        reload_ms.last().unwrap_or(&0)
    );
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
}
