//! `ratel-server --config ratel.toml`: loads the data, then serves the MOR and Arrow Billing
//! APIs on `listen` and `/healthz`, `/metrics` and `POST /reload` on `admin_listen`; SIGHUP
//! reloads too. Exits non-zero with one clear message when the configuration or the data is
//! invalid or an address is in use.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ratel_engine::snapshot::{Data, SnapshotStore};
use ratel_server::config::Config;
use ratel_server::http::Limits;
use ratel_server::metrics::Metrics;
use ratel_server::service::{bind_exclusive, serve, App, Listener};

/// Coroutine stack, in words: the handler keeps its buffers on the heap, so 128 KiB leaves
/// ample room for formatting and the 4 KiB drain buffer of a lingering close.
const STACK_WORDS: usize = 16 * 1024;

/// Serve the MOR billing API and Arrow Billing balance.php from compiled tariffs and accounts.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (SPEC §4); data paths in it are relative to it.
    #[arg(long, default_value = "ratel.toml")]
    config: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ratel-server: {error}");
            return ExitCode::from(1);
        }
    };
    let started = Instant::now();
    let mut warnings = Vec::new();
    let data = match Data::load(&config.data, &mut warnings) {
        Ok(data) => data,
        Err(error) => {
            eprintln!("ratel-server: cannot load the data: {error}");
            return ExitCode::from(1);
        }
    };
    for warning in warnings {
        eprintln!("ratel-server: warning: {warning}");
    }
    let load_time = started.elapsed();
    let workers = match config.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    may::config()
        .set_workers(workers)
        .set_stack_size(STACK_WORDS);
    // Both addresses are bound before anything is served: either in use is a startup error.
    let bind = |address: std::net::SocketAddr| {
        bind_exclusive(address).map_err(|error| {
            eprintln!("ratel-server: cannot listen on {address}: {error}");
        })
    };
    let (Ok(listener), Ok(admin_listener)) = (bind(config.listen), bind(config.admin_listen))
    else {
        return ExitCode::from(1);
    };
    let shown = |l: &may::net::TcpListener, fallback: std::net::SocketAddr| {
        l.local_addr().unwrap_or(fallback).to_string()
    };
    let address = shown(&listener, config.listen);
    let admin_address = shown(&admin_listener, config.admin_listen);
    let (tariffs, users, cards) = (
        data.artifact.tariffs().len(),
        data.accounts.users().len(),
        data.accounts.cards().len(),
    );
    let app = Arc::new(App {
        store: SnapshotStore::new(data, load_time),
        data: config.data.clone(),
        web_dir: config.web_dir.clone(),
        api: config.api.clone(),
        limits: Limits::default(),
        request_timeout: Duration::from_secs(10),
        write_stall_timeout: Duration::from_secs(10),
        metrics: Metrics::default(),
        reloading: std::sync::Mutex::new(()),
    });
    match signal_hook::iterator::Signals::new([signal_hook::consts::SIGHUP]) {
        Ok(mut signals) => {
            let app = Arc::clone(&app);
            std::thread::spawn(move || {
                for _ in signals.forever() {
                    let _ = app.reload();
                }
            });
        }
        Err(error) => eprintln!("ratel-server: warning: SIGHUP will not reload: {error}"),
    }
    let admin_app = Arc::clone(&app);
    may::go!(move || serve(admin_listener, admin_app, Listener::Admin));
    eprintln!("ratel-server: admin on http://{admin_address} (/healthz, /metrics, POST /reload)");
    eprintln!(
        "ratel-server: listening on http://{address}{} ({tariffs} tariffs, {users} users, {cards} cards, loaded in {:.3} s, {workers} workers)",
        config.web_dir,
        load_time.as_secs_f64()
    );
    serve(listener, app, Listener::Api);
    ExitCode::SUCCESS
}
