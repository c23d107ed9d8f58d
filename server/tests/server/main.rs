//! The server's integration tests: one binary with a module for each theme, the helpers
//! (server launcher, client, metric and `/proc` readers, tokens, golden cases) in
//! `tests/support/`, shared with `tests/slow/`.
//!
//! - `golden`: the golden cases of `fixtures/golden/api/` through the engine's endpoints and
//!   over HTTP, and those of `fixtures/golden/native/` over the JSON API.
//! - `limits`: malformed and pipelined HTTP, `Expect: 100-continue`, long parameters and large
//!   answers, the load harness's abuse, body sizes, the budget of bodies being read, the
//!   memory that strangers and large bodies hold.
//! - `timeouts`: the lingering close of a refused client (2 s at most).
//! - `admin`: `/healthz`, `/metrics`, reloads by request and by SIGHUP, failed reloads, the
//!   reload thread's priority.
//! - `access_log`: a line per request, and what a line never shows.
//! - `lifecycle`: startup refusals (address in use, invalid data, configuration errors), out
//!   of file descriptors, the drain on SIGTERM, a second SIGTERM, SIGINT.
//! - `json_api`: the JSON API's token, charging, many clients at once.
//! - `ledger`: SIGKILL under load, the ledger's files removed or replaced, one server to a
//!   ledger, a missing ledger, balances that survive a restart and sum exactly.
//! - `sessions`: calls in progress: fifty simultaneous starts on one payer, SIGKILL with
//!   open sessions and charges in flight, expiry after the restart.
//! - `docs`: the documents held to the code.
//!
//! What goes here, and why: every test that takes a few seconds at most and holds on a busy
//! machine, about 20 s for them all (two cores, debug build). A test that waits out one of
//! the server's 10 s deadlines (10 to 15 s each, timed within a second or two) or a
//! measurement run by hand goes to `tests/slow/` instead, so that this binary stays quick to
//! run after every change.
//!
//! The tests that start a server take `support::server::serial()` and run one at a time; the
//! others (golden cases through the engine, the documents) run beside them.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

mod access_log;
mod admin;
mod docs;
mod golden;
mod json_api;
mod ledger;
mod lifecycle;
mod limits;
mod sessions;
mod timeouts;
