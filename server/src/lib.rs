//! `ratel-server`'s pieces: configuration (`config`), HTTP parsing and decoding (`http`),
//! routing (`routes`), the connection service with the admin listener and reload
//! (`service`), the JSON API's glue (`native`), the watch on stalled answers (`write_watch`), and the counters behind
//! `/metrics` (`metrics`). Business rules stay in
//! `ratel-engine`.

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
pub mod write_watch;
