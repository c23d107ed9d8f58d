//! The listeners: binding an address (refusing one already in use) and accepting
//! connections, one coroutine each (`connection`), until the server stops.
//!
//! Built directly on `may` and `httparse` rather than `may_minihttp`, so that every limit of
//! docs/server.md is Ratel's own code with its own test: sizes, header count and body
//! handling in `http::parse_request`, the connection's rules in `connection`, and here
//! `TCP_NODELAY`-ready sockets, a pause instead of a busy loop when `accept` fails (file
//! descriptors exhausted), and a bind that refuses an address already in use.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::listener::Listener;

/// Binds `addr` for the API, refusing an address something already listens on.
///
/// `may`'s `bind` sets `SO_REUSEPORT`, with which a second server on a busy port binds
/// without error and silently shares its traffic. So the address is first bound with the
/// standard library, which does not set it: that fails while anything listens there (another
/// Ratel included), and turns port 0 into a concrete port.
pub fn bind_exclusive(addr: SocketAddr) -> std::io::Result<may::net::TcpListener> {
    let probe = std::net::TcpListener::bind(addr)?;
    let bound = probe.local_addr()?;
    drop(probe);
    may::net::TcpListener::bind(bound)
}

/// Accepts connections, one coroutine each, until the server stops; then drops the
/// listener, so new connections are refused.
pub fn serve(listener: may::net::TcpListener, app: Arc<App>, kind: Listener) {
    loop {
        let accepted = listener.accept();
        if app.stopping.load(Ordering::Relaxed) {
            return;
        }
        match accepted {
            Ok((stream, peer)) => {
                let app = Arc::clone(&app);
                may::go!(move || {
                    let _open = app.metrics.opened(kind);
                    crate::connection::serve(stream, &app, kind, peer);
                });
            }
            // Out of file descriptors (or another accept failure): pause instead of spinning,
            // and keep serving the connections already open.
            Err(_) => may::coroutine::sleep(Duration::from_millis(50)),
        }
    }
}
