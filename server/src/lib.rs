//! `ratel-server`'s pieces (docs/architecture.md has the map). Business rules stay in
//! `ratel-engine`; here is what turns bytes on a socket into the engine's calls and back:
//!
//! - start and stop: `main.rs`, `config` (`ratel.toml`), `log`;
//! - what connections share: `app` (the data, settings, budgets, metrics, the commit choice,
//!   reloads), `listener`;
//! - serving: `service` (bind, accept), `connection` (one connection's life), `dispatch`
//!   (what a request is answered, without sockets), `http` and `form` (parsing, decoding),
//!   `routes` (MOR paths), `json_api` (the JSON API's glue), `commit` (waiting for the ledger
//!   from a coroutine);
//! - guards: `body_budget`, `deadline`, `stall_watch`;
//! - watching: `metrics`, `access_log`, `reload` (the reload thread).

pub mod access_log;
pub mod app;
pub mod body_budget;
pub mod commit;
pub mod config;
mod connection;
pub mod deadline;
mod dispatch;
pub mod form;
pub mod http;
pub mod json_api;
pub mod listener;
pub mod log;
pub mod metrics;
pub mod reload;
pub mod routes;
pub mod service;
pub mod stall_watch;
