//! Lingering close: a refused client that keeps sending is closed within the 2 s bound. (The
//! server's deadlines of 10 s are in `tests/slow/`: each test there waits them out.)

use std::io::Write;
use std::time::{Duration, Instant};

use crate::support::client::read_response;
use crate::support::server::{assert_still_answers, serial, Server};

#[test]
fn a_refused_client_that_keeps_sending_is_closed_within_the_linger_bound() {
    let _serial = serial();
    let server = Server::start("");
    let mut stream = server.connect();
    let line = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(20_000));
    stream.write_all(line.as_bytes()).unwrap();
    let answer = read_response(&mut stream, &mut Vec::new()).expect("the 414 arrives first");
    assert_eq!(answer.status, 414);
    // A byte every 200 ms never lets the server's 500 ms quiet period run out; the 2 s
    // bound on lingering closes the connection anyway, and writes then fail.
    let started = Instant::now();
    let closed = loop {
        std::thread::sleep(Duration::from_millis(200));
        if stream.write_all(b"x").is_err() {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "still open after 8 s"
        );
    };
    assert!(closed >= Duration::from_millis(1200), "{closed:?}");
    assert_still_answers(&server);
}
