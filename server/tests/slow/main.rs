//! The server's slow integration tests, kept apart from the ordinary ones (`tests/server/`) so
//! that those stay quick and these can be run alone, on a quiet machine:
//!
//! ```text
//! cargo test -p ratel-server --test slow
//! ```
//!
//! What goes here, and why:
//!
//! - `timeouts`: the server's deadlines of 10 s. A half-sent request, idle and slowly sent
//!   connections on both listeners, clients whose answers stall (with or without a trickle of
//!   bytes): each test waits the deadline out (10 to 15 s, about 50 s for the four) and checks
//!   when the close came within a window of a second or two, which a machine busy with other
//!   work can push out.
//! - `reload_latency`: the API's latency with and without reloads of 100k users and 100k
//!   cards, a measurement run by hand in release mode (`#[ignore]`d; see its head).
//!
//! A new test that waits out a deadline of several seconds, or times something a loaded
//! machine can spoil, belongs here; everything else in `tests/server/`. The helpers are
//! `tests/support/`, the same source as there; the tests that start a server take its
//! `serial()` lock and run one at a time.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod reload_latency;
mod timeouts;
