//! The server's deadlines of 10 s: a half-sent request, half-sent and idle connections on
//! both listeners, and clients that never read their answers (with or without trickling bytes)
//! are closed 10 s after their last byte or after their answers stall. Each test waits the
//! deadline out and checks when the close came. (The lingering close of a refused client,
//! bounded at 2 s, is in `tests/server/`'s `timeouts`.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::client::read_response;
use crate::support::probe::{metric, rss_kib};
use crate::support::server::{assert_still_answers, serial, Server};
use crate::support::{write_many_cards, ALL_CARDS_REQUEST};

/// Waits until the server has built no `calling_cards_get` answer for a second (each is
/// counted before it is written, so its writes have stalled by then); returns the count and
/// the moment it last moved.
fn wait_for_answers_to_stall(server: &Server) -> (f64, Instant) {
    let answered = "ratel_requests_total{endpoint=\"calling_cards_get\",outcome=\"answered\"}";
    let count = || metric(&server.admin_request("GET", "/metrics").body, answered).unwrap();
    let (mut last, mut moved) = (count(), Instant::now());
    while moved.elapsed() < Duration::from_secs(1) {
        std::thread::sleep(Duration::from_millis(100));
        let now = count();
        if now != last {
            (last, moved) = (now, Instant::now());
        }
    }
    (last, moved)
}

/// A client connection the server is expected to close, watched without blocking.
struct Watched {
    stream: TcpStream,
    what: &'static str,
    last_byte: Instant,
    closed: Option<Duration>,
}

impl Watched {
    /// Sends `bytes` on a new connection to `addr` and, for an idle keep-alive connection
    /// (`answered`), reads the one answer they ask for first.
    fn open(addr: SocketAddr, what: &'static str, bytes: &[u8], answered: bool) -> Watched {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.write_all(bytes).unwrap();
        let last_byte = Instant::now();
        if answered {
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let answer = read_response(&mut stream, &mut Vec::new()).unwrap();
            assert_eq!(answer.status, 200, "{what}: {}", answer.body);
        }
        stream.set_nonblocking(true).unwrap();
        Watched {
            stream,
            what,
            last_byte,
            closed: None,
        }
    }

    /// Notes the moment the server closed the connection (end of stream or reset).
    fn poll(&mut self) {
        if self.closed.is_some() {
            return;
        }
        let mut buf = [0u8; 512];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = Some(self.last_byte.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => self.closed = Some(self.last_byte.elapsed()),
        }
    }
}

#[test]
fn a_half_sent_request_is_closed_after_ten_seconds() {
    let _serial = serial();
    let server = Server::start("");
    let mut stream = server.connect();
    let started = Instant::now();
    stream
        .write_all(b"GET /billing/api/simple_balance/a1b2c3d4e5 HTTP/1.1\r\nHost:")
        .unwrap();
    let mut buf = [0u8; 64];
    let read = stream.read(&mut buf);
    let waited = started.elapsed();
    assert!(matches!(read, Ok(0)) || read.is_err(), "{read:?}");
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(14),
        "{waited:?}"
    );
    assert_still_answers(&server);
}

/// Issue 9 item 1: `may` rounds timeouts down to whole milliseconds and takes 0 for none, so
/// a read re-armed with under 1 ms left waited forever (~70 of 100 slow connections stayed
/// open). Half-sent requests opened slowly and in bursts, and idle keep-alive connections,
/// on both listeners: every one is closed within 11 s of its last byte.
#[test]
fn half_sent_and_idle_connections_are_all_closed_within_eleven_seconds() {
    let _serial = serial();
    let server = Server::start("");
    let half = b"GET /billing/api/simple_balance?id=bob";
    let half_admin = b"GET /healthz";
    let idle = b"GET /billing/api/simple_balance/a1b2c3d4e5 HTTP/1.1\r\n\r\n";
    let idle_admin = b"GET /healthz HTTP/1.1\r\n\r\n";
    let mut watched = Vec::new();
    let burst = |watched: &mut Vec<Watched>| {
        for _ in 0..25 {
            watched.push(Watched::open(server.addr, "api burst", half, false));
        }
        for _ in 0..10 {
            watched.push(Watched::open(
                server.admin,
                "admin burst",
                half_admin,
                false,
            ));
        }
    };
    burst(&mut watched);
    for _ in 0..10 {
        watched.push(Watched::open(server.addr, "api idle", idle, true));
        watched.push(Watched::open(server.admin, "admin idle", idle_admin, true));
    }
    // One every 50 ms for 5 s, alternating listeners three to one.
    for i in 0..100 {
        let (addr, what, bytes) = match i % 4 {
            3 => (server.admin, "admin slow", &half_admin[..]),
            _ => (server.addr, "api slow", &half[..]),
        };
        watched.push(Watched::open(addr, what, bytes, false));
        watched.iter_mut().for_each(Watched::poll);
        std::thread::sleep(Duration::from_millis(50));
    }
    burst(&mut watched);
    let last = watched.iter().map(|w| w.last_byte).max().unwrap();
    while watched.iter().any(|w| w.closed.is_none()) && last.elapsed() < Duration::from_secs(12) {
        std::thread::sleep(Duration::from_millis(20));
        watched.iter_mut().for_each(Watched::poll);
    }
    let closed = watched.iter().filter(|w| w.closed.is_some()).count();
    let slowest = watched
        .iter()
        .filter_map(|w| w.closed)
        .max()
        .unwrap_or_default();
    eprintln!(
        "{closed} of {} connections closed by the server, the last {slowest:?} after its last byte",
        watched.len()
    );
    for w in &watched {
        let closed = w.closed.unwrap_or_else(|| panic!("{}: still open", w.what));
        assert!(
            closed >= Duration::from_secs(9) && closed <= Duration::from_secs(11),
            "{}: closed {closed:?} after its last byte",
            w.what
        );
    }
    let metrics = server.admin_request("GET", "/metrics").body;
    let value = |name: &str| metric(&metrics, name).unwrap_or_else(|| panic!("{name}: {metrics}"));
    assert_eq!(value("ratel_open_connections{listener=\"api\"}"), 0.0);
    assert_eq!(
        value("ratel_open_connections{listener=\"admin\"}"),
        1.0,
        "only the connection asking"
    );
    let timeouts = value("ratel_connection_timeouts_total{listener=\"api\",kind=\"read\"}")
        + value("ratel_connection_timeouts_total{listener=\"admin\",kind=\"read\"}");
    assert_eq!(timeouts as usize, watched.len());
}

/// Issue 9 item 2: clients that pipeline ~2 MB of requests and never read their answers
/// kept their connections (and megabytes of queued answers) forever. Each is closed once
/// its answer has made no progress for 10 s, and the server's memory per connection stays
/// bounded meanwhile (it stops reading while an answer waits, so its input buffer never
/// grows past one request; what queues is in the kernel's socket buffers).
#[test]
fn clients_that_never_read_are_closed_ten_seconds_after_their_answers_stall() {
    let _serial = serial();
    let server = Server::start_with("", None, |dir| {
        write_many_cards(dir, 300);
    });
    let rss_before = rss_kib(server.child.id());
    let request = ALL_CARDS_REQUEST;
    let pipeline = request.repeat(2_000_000 / request.len());
    struct Client {
        stream: TcpStream,
        sent: usize,
        progress: Instant,
    }
    let mut clients: Vec<Client> = (0..50)
        .map(|_| {
            let stream = TcpStream::connect(server.addr).unwrap();
            stream.set_nonblocking(true).unwrap();
            Client {
                stream,
                sent: 0,
                progress: Instant::now(),
            }
        })
        .collect();
    // Send until every client has sent all or made no progress for a second (stalled).
    let started = Instant::now();
    while clients
        .iter()
        .any(|c| c.sent < pipeline.len() && c.progress.elapsed() < Duration::from_secs(1))
    {
        for client in &mut clients {
            while client.sent < pipeline.len() {
                match client.stream.write(&pipeline[client.sent..]) {
                    Ok(n) => {
                        client.sent += n;
                        client.progress = Instant::now();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("sending: {e}"),
                }
            }
        }
        std::thread::sleep(Duration::from_millis(10));
        assert!(started.elapsed() < Duration::from_secs(60), "never stalled");
    }
    let sent: usize = clients.iter().map(|c| c.sent).sum();
    // The server has stalled when it stops answering: the count of answers built stops
    // moving (each is counted before it is written). Its last progress was before that.
    let metrics = || server.admin_request("GET", "/metrics").body;
    let (count, stalled) = wait_for_answers_to_stall(&server);
    let rss_stalled = rss_kib(server.child.id());
    let open = || metric(&metrics(), "ratel_open_connections{listener=\"api\"}").unwrap();
    assert_eq!(open(), 50.0, "all stalled, none closed yet");
    while open() > 0.0 && stalled.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(200));
    }
    let closed_after = stalled.elapsed();
    eprintln!(
        "50 clients sent {:.1} MB in all; {count} answers before the server stalled; all closed {closed_after:?} after its last answer; server RSS {} KiB before, {} KiB stalled ({} KiB a connection)",
        sent as f64 / 1e6,
        rss_before,
        rss_stalled,
        rss_stalled.saturating_sub(rss_before) / 50
    );
    let metrics = server.admin_request("GET", "/metrics").body;
    assert_eq!(
        metric(&metrics, "ratel_open_connections{listener=\"api\"}"),
        Some(0.0),
        "still open {closed_after:?} after the last answer"
    );
    assert!(
        closed_after <= Duration::from_millis(11_500),
        "{closed_after:?}"
    );
    assert_eq!(
        metric(
            &metrics,
            "ratel_connection_timeouts_total{listener=\"api\",kind=\"write\"}"
        ),
        Some(50.0)
    );
    // An answer here is ~60 KB, held twice (body and response), plus the input buffer and
    // the coroutine's stack: about 320 KiB a connection measured, bounded well below 1 MiB
    // (the ~4 MB queued per client in the kernel is not the server's memory).
    assert!(
        rss_stalled.saturating_sub(rss_before) < 50 * 1024,
        "{rss_before} KiB -> {rss_stalled} KiB"
    );
    drop(clients);
    assert_still_answers(&server);
}

/// `may` arms a write's timer afresh whenever the socket wakes the writer, and bytes the
/// client sends wake it too: a client that never reads but trickles a byte a second would
/// hold its connection for ever on the socket timeout alone. The write watch closes it.
#[test]
fn clients_that_never_read_but_trickle_bytes_are_closed_all_the_same() {
    let _serial = serial();
    let server = Server::start_with("", None, |dir| {
        write_many_cards(dir, 300);
    });
    // ~40 KB of requests asking for ~24 MB of answers: the answers stall the server's
    // writes while its receive buffer keeps room for the trickle.
    let request = ALL_CARDS_REQUEST;
    let pipeline = request.repeat(400);
    let mut clients: Vec<TcpStream> = (0..5)
        .map(|_| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            stream.write_all(&pipeline).unwrap();
            stream
        })
        .collect();
    let metrics = || server.admin_request("GET", "/metrics").body;
    let (count, stalled) = wait_for_answers_to_stall(&server);
    assert!(
        count < 2000.0,
        "the answers never stalled ({count} written)"
    );
    let open = || metric(&metrics(), "ratel_open_connections{listener=\"api\"}").unwrap();
    assert_eq!(open(), 5.0, "all stalled, none closed yet");
    // A byte a second from every client, until the server closes them (or 20 s).
    let mut trickled = 0;
    let mut last_byte = Instant::now() - Duration::from_secs(1);
    while open() > 0.0 && stalled.elapsed() < Duration::from_secs(20) {
        if last_byte.elapsed() >= Duration::from_secs(1) {
            last_byte = Instant::now();
            for client in &mut clients {
                if client.write_all(b"X").is_ok() {
                    trickled += 1;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let closed_after = stalled.elapsed();
    eprintln!("5 trickling clients ({trickled} bytes sent): all closed {closed_after:?} after the last answer");
    assert_eq!(
        open(),
        0.0,
        "still open {closed_after:?} after the last answer"
    );
    assert!(trickled >= 40, "the clients trickled only {trickled} bytes");
    assert!(
        closed_after <= Duration::from_millis(13_000),
        "{closed_after:?}"
    );
    assert_eq!(
        metric(
            &metrics(),
            "ratel_connection_timeouts_total{listener=\"api\",kind=\"write\"}"
        ),
        Some(5.0)
    );
    drop(clients);
    assert_still_answers(&server);
}
