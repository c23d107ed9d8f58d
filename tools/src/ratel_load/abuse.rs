//! The abuser: slowloris connections and a stream of malformed requests, each of which the
//! server must refuse (4xx or 5xx) while it keeps answering.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::client::send_raw;

/// Malformed requests the abuser sends, one per connection, in turn. Each must be refused
/// with a 4xx or 5xx (never served, never a crash).
pub const MALFORMED: &[&[u8]] = &[
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost x\r\n\r\n",
    b"POST /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"DELETE /billing/api/rate_get HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
    b"GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /billing/api/rate_get\x00 HTTP/1.1\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
];

/// An oversize request line (over the 8 KiB head limit), built once.
fn oversize_request() -> Vec<u8> {
    let mut request = b"GET /billing/api/rate_get?prefix=".to_vec();
    request.resize(request.len() + 20_000, b'7');
    request.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    request
}

/// What the abuser saw.
#[derive(Debug, Default)]
pub struct AbuseReport {
    /// Half-open connections opened in all (the server closes each after its deadline, and
    /// the abuser opens another in its place).
    pub slowloris_opened: u64,
    /// Half-open connections that could not be opened.
    pub slowloris_failed: u64,
    /// Half-open connections the server closed (deadline reached).
    pub slowloris_closed_by_server: u64,
    pub malformed_sent: u64,
    /// Answers to malformed requests by status class: 4xx, 5xx, anything else.
    pub malformed_4xx: u64,
    pub malformed_5xx: u64,
    pub malformed_other: u64,
    /// Malformed requests that got no answer at all (connection refused, reset, timeout).
    pub malformed_unanswered: u64,
}

impl std::fmt::Display for AbuseReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "slowloris: {} opened, {} closed by the server, {} failed to open; malformed: {} sent, {} answered 4xx, {} answered 5xx, {} other, {} unanswered",
            self.slowloris_opened,
            self.slowloris_closed_by_server,
            self.slowloris_failed,
            self.malformed_sent,
            self.malformed_4xx,
            self.malformed_5xx,
            self.malformed_other,
            self.malformed_unanswered
        )
    }
}

/// Keeps `slowloris` half-sent requests open against `addr` for `duration` (each sends one
/// more header byte a second and is reopened when the server closes it), and meanwhile, on
/// a second thread, sends `malformed_per_second` malformed requests, one per connection.
pub fn abuse(
    addr: SocketAddr,
    slowloris: usize,
    malformed_per_second: u32,
    duration: Duration,
) -> AbuseReport {
    let deadline = Instant::now() + duration;
    let malformed = std::thread::spawn(move || {
        let mut report = AbuseReport::default();
        let oversize = oversize_request();
        let interval = Duration::from_secs(1) / malformed_per_second.max(1);
        let mut next = Instant::now();
        let mut turn = 0usize;
        while Instant::now() < deadline {
            let request = MALFORMED.get(turn).copied().unwrap_or(&oversize);
            turn = (turn + 1) % (MALFORMED.len() + 1);
            report.malformed_sent += 1;
            match send_raw(addr, request) {
                Some(status) if (400..500).contains(&status) => report.malformed_4xx += 1,
                Some(status) if (500..600).contains(&status) => report.malformed_5xx += 1,
                Some(_) => report.malformed_other += 1,
                None => report.malformed_unanswered += 1,
            }
            next += interval;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        report
    });

    let mut report = AbuseReport::default();
    let open = |report: &mut AbuseReport| -> Option<TcpStream> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok();
        match stream {
            Some(mut stream) => {
                let started = stream
                    .write_all(b"GET /billing/api/rate_get?u=admin HTTP/1.1\r\nHost: x\r\n")
                    .and_then(|()| stream.set_nonblocking(true));
                report.slowloris_opened += 1;
                started.ok().map(|()| stream)
            }
            None => {
                report.slowloris_failed += 1;
                None
            }
        }
    };
    let mut streams: Vec<Option<TcpStream>> = (0..slowloris).map(|_| open(&mut report)).collect();
    let mut scratch = [0u8; 4096];
    while Instant::now() < deadline {
        for slot in &mut streams {
            let alive = slot.as_mut().is_some_and(|stream| {
                let open = match stream.read(&mut scratch) {
                    Ok(0) => false,
                    Ok(_) => true, // an answer (a timeout refusal): read on until the close
                    Err(e) => e.kind() == io::ErrorKind::WouldBlock,
                };
                open && stream.write_all(b"X").is_ok()
            });
            if !alive {
                if slot.is_some() {
                    report.slowloris_closed_by_server += 1;
                }
                *slot = open(&mut report);
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    drop(streams);
    let sent = malformed.join().unwrap_or_default();
    AbuseReport {
        malformed_sent: sent.malformed_sent,
        malformed_4xx: sent.malformed_4xx,
        malformed_5xx: sent.malformed_5xx,
        malformed_other: sent.malformed_other,
        malformed_unanswered: sent.malformed_unanswered,
        ..report
    }
}
