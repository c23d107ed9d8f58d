//! `ratel-server --config ratel.toml`: loads the data, then serves the MOR and Arrow Billing
//! APIs on `listen` and `/healthz`, `/metrics` and `POST /reload` on `admin_listen`; SIGHUP
//! reloads too (on the reload thread, `reload`). SIGTERM or SIGINT stops accepting, lets the
//! requests in flight finish (at most `DRAIN` long), logs the stop and exits 0; a second
//! SIGTERM or SIGINT meanwhile exits at once (logged, exit 0). Exits
//! non-zero with one clear message when the configuration or the data is invalid or an
//! address is in use.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ratel_engine::ledger::{Ledger, Level, Options};
use ratel_engine::snapshot::{Data, SnapshotStore};
use ratel_server::access_log::AccessLog;
use ratel_server::app::App;
use ratel_server::body_budget::{BodyBudgets, DEFAULT_BODY_BUDGET};
use ratel_server::commit::Replies;
use ratel_server::config::Config;
use ratel_server::http::Limits;
use ratel_server::listener::Listener;
use ratel_server::log;
use ratel_server::metrics::Metrics;
use ratel_server::reload::{Failures, Reloads};
use ratel_server::service::{bind_exclusive, serve};
use ratel_server::stall_watch::StallWatch;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

/// How long a stop waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(5);

/// How long a stop waits for the listeners to close, before it waits for the requests.
const ACCEPTORS: Duration = Duration::from_secs(1);

/// Coroutine stack, in words: the handler keeps its buffers on the heap, so 128 KiB leaves
/// ample room for formatting and the 4 KiB drain buffer of a lingering close.
const STACK_WORDS: usize = 16 * 1024;

/// The allocator of the whole server. The committer frees each commit's maps and buffers
/// while the workers allocate requests on the other cores; glibc's allocator spent a fifth
/// of the committer's time in `free` and its consolidation of small blocks (see
/// docs/performance.md, issue 19).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Serve the MOR billing API and Arrow Billing balance.php from compiled tariffs and accounts.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The configuration file (see docs/config.md); data paths in it are relative to it.
    #[arg(long, default_value = "ratel.toml")]
    config: PathBuf,
}

fn main() -> ExitCode {
    log::log_panics();
    let args = Args::parse();
    let config = match Config::load(&args.config) {
        Ok(config) => config,
        Err(error) => {
            log::error(error);
            return ExitCode::from(1);
        }
    };
    // A second server on the same ledger stops here, before it reads anything or binds a
    // port; nothing is created on disk before the data is checked.
    let mut config = config;
    // (Any number of servers share a PostgreSQL ledger.)
    if config.ledger_url.is_none() {
        if let Err(error) = Ledger::check_free(&config.ledger) {
            log::error(error);
            return ExitCode::from(1);
        }
    }
    let started = Instant::now();
    let mut warnings = Vec::new();
    let mut data = match Data::load(&config.data, &mut warnings) {
        Ok(data) => data,
        Err(error) => {
            log::error(format_args!("cannot load the data: {error}"));
            return ExitCode::from(1);
        }
    };
    let options = Options {
        create: config.ledger_create,
        log: ratel_engine::ledger::Log::new(|level, message| match level {
            Level::Info => log::info(message),
            Level::Warn => log::warn(message),
            Level::Error => log::error(message),
        }),
        ..Options::default()
    };
    let currency = &config.data.default_currency;
    let opened = match &config.ledger_url {
        Some(target) => Ledger::open_postgres(target.clone(), currency, options),
        None => Ledger::open_with(&config.ledger, currency, options),
    };
    let ledger = match opened {
        Ok(ledger) => Arc::new(ledger),
        Err(error) => {
            log::error(error);
            return ExitCode::from(1);
        }
    };
    if let Err(error) = data.attach(&ledger, &mut warnings) {
        log::error(format_args!("cannot load the data: {error}"));
        return ExitCode::from(1);
    }
    log::info(format_args!(
        "ledger {}: {} accounts",
        ledger.path().display(),
        ledger.accounts()
    ));
    config.data.ledger = Some(ledger);
    for warning in warnings {
        log::warn(&warning);
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
            log::error(format_args!("cannot listen on {address}: {error}"));
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
    let access_log = match config.access_log.as_deref().map(AccessLog::open) {
        None => None,
        Some(Ok(log)) => Some(log),
        Some(Err(error)) => {
            log::error(format_args!(
                "cannot open the access log {}: {error}",
                config.access_log.as_deref().unwrap_or_default()
            ));
            return ExitCode::from(1);
        }
    };
    let (reloads, queue) = Reloads::new();
    let (request_timeout, write_stall_timeout) = (Duration::from_secs(10), Duration::from_secs(10));
    let stall_watch = match StallWatch::start(request_timeout, write_stall_timeout) {
        Ok(watch) => watch,
        Err(error) => {
            log::error(format_args!("cannot start the stall watch thread: {error}"));
            return ExitCode::from(1);
        }
    };
    let app = Arc::new(App {
        store: SnapshotStore::new(data, load_time),
        data: config.data.clone(),
        web_dir: config.web_dir.clone(),
        api: config.api.clone(),
        limits: Limits::default(),
        bodies: BodyBudgets::new(DEFAULT_BODY_BUDGET),
        write_stall_timeout,
        stall_watch,
        metrics: Metrics::default(),
        reloads,
        reload_failures: Failures::default(),
        stopping: Default::default(),
        access_log,
        replies: Replies::start(),
    });
    if let Err(error) = app.start_reloads(queue) {
        log::error(format_args!("cannot start the reload thread: {error}"));
        return ExitCode::from(1);
    }
    let mut signals = match signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT]) {
        Ok(signals) => signals,
        Err(error) => {
            log::error(format_args!("cannot handle signals: {error}"));
            return ExitCode::from(1);
        }
    };
    let admin_app = Arc::clone(&app);
    let admin_acceptor = may::go!(move || serve(admin_listener, admin_app, Listener::Admin));
    let api_app = Arc::clone(&app);
    let api_acceptor = may::go!(move || serve(listener, api_app, Listener::Api));
    log::info(format_args!(
        "admin on http://{admin_address} (/healthz, /metrics, POST /reload)"
    ));
    log::info(format_args!(
        "listening on http://{address}{} ({tariffs} tariffs, {users} users, {cards} cards, loaded in {:.3} s, {workers} workers)",
        config.web_dir,
        load_time.as_secs_f64()
    ));
    let name = loop {
        match signals.forever().next() {
            Some(SIGHUP) => app.reloads.signal(),
            Some(signal) => break signal_name(signal),
            None => return ExitCode::SUCCESS,
        }
    };
    stop(
        &app,
        name,
        &mut signals,
        [api_acceptor, admin_acceptor],
        [&address, &admin_address],
    )
}

/// The stop after SIGTERM or SIGINT (`name`): stop accepting, let the requests in flight be
/// answered for at most `DRAIN`, flush the access log, log the stop. A second signal on the
/// way stops at once.
fn stop(
    app: &App,
    name: &str,
    signals: &mut signal_hook::iterator::Signals,
    acceptors: [may::coroutine::JoinHandle<()>; 2],
    addresses: [&str; 2],
) -> ExitCode {
    app.stopping.store(true, Ordering::SeqCst);
    // Each acceptor sees the flag when its next connection arrives: make one arrive. It
    // then returns and drops its listener, so new connections are refused. The wait is
    // bounded: an acceptor that cannot be woken (out of file descriptors) does not hold
    // the stop up.
    let until = Instant::now() + ACCEPTORS;
    while acceptors.iter().any(|a| !a.is_done()) && Instant::now() < until {
        for address in addresses {
            wake(address);
        }
        if let Some(again) = stop_again(signals) {
            return stop_at_once(app, again);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    if acceptors.iter().any(|a| !a.is_done()) {
        log::warn(format_args!(
            "stopping on {name}: a listener still accepts after {} ms; going on with the stop",
            ACCEPTORS.as_millis()
        ));
    }
    let in_flight = app.metrics.in_flight();
    log::info(format_args!(
        "stopping on {name}: no longer accepting; {in_flight} requests in flight, waiting at most {} s",
        DRAIN.as_secs()
    ));
    let until = Instant::now() + DRAIN;
    while app.metrics.in_flight() > 0 && Instant::now() < until {
        if let Some(again) = stop_again(signals) {
            return stop_at_once(app, again);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    if let Some(access_log) = &app.access_log {
        access_log.flush();
    }
    match app.metrics.in_flight() {
        0 => log::info("stopped: every request in flight was answered"),
        cut => log::warn(format_args!(
            "stopped: {cut} requests still in flight after {} s were cut off",
            DRAIN.as_secs()
        )),
    }
    ExitCode::SUCCESS
}

fn signal_name(signal: i32) -> &'static str {
    if signal == SIGTERM {
        "SIGTERM"
    } else {
        "SIGINT"
    }
}

/// A second SIGTERM or SIGINT received during a stop (SIGHUP is ignored then).
fn stop_again(signals: &mut signal_hook::iterator::Signals) -> Option<&'static str> {
    signals
        .pending()
        .find(|&signal| signal != SIGHUP)
        .map(signal_name)
}

/// A second SIGTERM or SIGINT: exit now, cutting off the requests in flight. The access
/// log's buffer is not written out (it could be what holds the stop up).
fn stop_at_once(app: &App, signal: &str) -> ExitCode {
    log::warn(format_args!(
        "stopped at once on a second {signal}: {} requests in flight were cut off",
        app.metrics.in_flight()
    ));
    ExitCode::SUCCESS
}

/// Connects to the listener at `address` (as logged; an unspecified address through the
/// loopback), which wakes an acceptor waiting for a connection.
fn wake(address: &str) {
    let Ok(mut address) = address.parse::<SocketAddr>() else {
        return;
    };
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let _ = std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1));
}
