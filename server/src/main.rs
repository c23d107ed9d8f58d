//! `ratel-server --config ratel.toml`: loads the data, then serves the MOR and Arrow Billing
//! APIs. Exits non-zero with one clear message when the configuration or the data is invalid
//! or the address is in use. (The admin listener, reload and SIGHUP are next: CHANGELOG.md.)

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use ratel_engine::snapshot::{Data, SnapshotStore};
use ratel_server::config::Config;
use ratel_server::http::Limits;
use ratel_server::service::{bind_exclusive, serve, App};

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
    let listener = match bind_exclusive(config.listen) {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("ratel-server: cannot listen on {}: {error}", config.listen);
            return ExitCode::from(1);
        }
    };
    let address = listener
        .local_addr()
        .map_or_else(|_| config.listen.to_string(), |a| a.to_string());
    let (tariffs, users, cards) = (
        data.artifact.tariffs().len(),
        data.accounts.users().len(),
        data.accounts.cards().len(),
    );
    let app = Arc::new(App {
        store: SnapshotStore::new(data, load_time),
        web_dir: config.web_dir.clone(),
        api: config.api.clone(),
        limits: Limits::default(),
        request_timeout: Duration::from_secs(10),
    });
    eprintln!(
        "ratel-server: listening on http://{address}{} ({tariffs} tariffs, {users} users, {cards} cards, loaded in {:.3} s, {workers} workers)",
        config.web_dir,
        load_time.as_secs_f64()
    );
    serve(listener, app);
    ExitCode::SUCCESS
}
