//! `ratel-server`'s pieces: configuration (`config`) and request decoding (`http`). The HTTP
//! service itself, routing and the admin listener come next (see CHANGELOG.md); business
//! rules stay in `ratel-engine`.

pub mod config;
pub mod http;
pub mod routes;
pub mod service;
