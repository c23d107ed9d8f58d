//! `ratel-server`: the MOR and Arrow Billing HTTP APIs over `may_minihttp`.
//!
//! Not built yet: the engine core comes first (see CHANGELOG.md, "Not yet done"). Until then
//! the binary says so and exits non-zero, so nothing mistakes it for a working server.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "ratel-server {}: the HTTP server is not implemented yet; see CHANGELOG.md",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
