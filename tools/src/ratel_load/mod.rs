//! Load-test helpers behind `ratel-load` (driven by `benches/load/run.sh`): request lists
//! for wrk with valid hashes, a check that a sample of them is answered with success pages,
//! and an abuser (slowloris connections and a stream of malformed requests).
//!
//! Request lists are built from the same account files the server loads, through the
//! engine's own reader, so every request names a real user or card and answers a success
//! page; `check` proves that against the running server before any figure is taken.
//!
//! One file per concern: `target` (endpoints and answer classes), `requests` (request lists),
//! `inputs` (deck prefixes, list files), `client` (one HTTP exchange), `reload` (the reload
//! loop) and `abuse` (slowloris and malformed requests).

mod abuse;
mod client;
mod inputs;
mod reload;
mod requests;
mod target;

pub use abuse::{abuse, AbuseReport, MALFORMED};
pub use client::{get, get_with_token};
pub use inputs::{current_prefixes, read_lines};
pub use reload::{ReloadLoop, ReloadReport};
pub use requests::{requests, RequestData};
pub use target::{Answer, Target};
