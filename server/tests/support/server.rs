//! One launcher for the integration tests: the real `ratel-server` binary on ephemeral
//! ports, started from a configuration in a data folder, its stderr drained into
//! `server.log` there, killed when dropped, its log shown when a test panics.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::client::{Client, Response};

/// Server tests run one at a time where they take this lock: each starts servers on
/// ephemeral ports, and starting many at once on two cores makes timing-sensitive checks
/// (CPU use, deadlines) meaningless.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub admin: SocketAddr,
    /// The data folder: `ratel.toml`, the data, the ledger, `server.log`.
    pub dir: tempfile::TempDir,
}

impl Server {
    /// A server on the demo data with `api_settings` in its `[api]` section.
    pub fn start(api_settings: &str) -> Server {
        Server::start_with(api_settings, None, |_| {})
    }

    /// Starts a server whose data folder `prepare` may change, optionally with at most
    /// `nofile` file descriptors.
    pub fn start_with(
        api_settings: &str,
        nofile: Option<u32>,
        prepare: impl FnOnce(&Path),
    ) -> Server {
        Server::start_configured("", api_settings, nofile, prepare)
    }

    /// `start_with`, with `top_level` keys (like `access_log`) before the `[api]` section.
    pub fn start_configured(
        top_level: &str,
        api_settings: &str,
        nofile: Option<u32>,
        prepare: impl FnOnce(&Path),
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        ratel_engine::testing::write_demo_data(dir.path());
        prepare(dir.path());
        std::fs::write(
            dir.path().join("ratel.toml"),
            format!(
                "listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n{top_level}\n[api]\n{api_settings}\n"
            ),
        )
        .unwrap();
        Server::start_in(dir, nofile)
    }

    /// Starts a server on the data folder `dir` as it is (its `ratel.toml`).
    pub fn start_in(dir: tempfile::TempDir, nofile: Option<u32>) -> Server {
        let (child, said) = launch_logged(
            &dir.path().join("ratel.toml"),
            nofile,
            Some(dir.path().join("server.log")),
        );
        let child = child.unwrap_or_else(|| panic!("server did not start: {said}"));
        let (addr, admin) = addresses(&said);
        Server {
            child,
            addr,
            admin,
            dir,
        }
    }

    /// The configuration file.
    pub fn config(&self) -> PathBuf {
        self.dir.path().join("ratel.toml")
    }

    /// What the server logged after it started.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Kills the server with SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills the server with SIGKILL and starts it again on the same folder
    /// (configuration, data, ledger); its addresses change.
    pub fn kill_and_restart(&mut self) {
        self.kill();
        let (child, said) = launch_logged(
            &self.config(),
            None,
            Some(self.dir.path().join("server.log")),
        );
        self.child = child.unwrap_or_else(|| panic!("the server did not restart: {said}"));
        (self.addr, self.admin) = addresses(&said);
    }

    /// A raw connection to the API listener; reads time out after 15 s.
    pub fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        stream
    }

    /// A keep-alive client of the API listener.
    pub fn client(&self) -> Client {
        Client::connect(self.addr)
    }

    /// Sends `raw` as it is on a new connection to the API listener; the response, or
    /// `None` when the connection ended first.
    pub fn exchange(&self, raw: &[u8]) -> Option<Response> {
        self.client().send_raw(raw)
    }

    /// `GET target` on a new connection to the API listener.
    pub fn get(&self, target: &str) -> Response {
        self.client().send("GET", target, "", b"")
    }

    /// `method path` with no body on a new connection to the admin listener.
    pub fn admin_request(&self, method: &str, path: &str) -> Response {
        Client::connect(self.admin).send(method, path, "", b"")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A failing test says whether the server was still running (or how it ended) and
        // what it logged: rare resets seen in CI must leave evidence next time.
        if std::thread::panicking() {
            let state = match self.child.try_wait() {
                Ok(None) => "still running".to_owned(),
                Ok(Some(status)) => format!("had exited: {status}"),
                Err(error) => format!("unknown: {error}"),
            };
            eprintln!("the server {state}; its log after startup:\n{}", self.log());
        }
        self.kill();
    }
}

/// The API and admin addresses a server printed when it started.
fn addresses(said: &str) -> (SocketAddr, SocketAddr) {
    let address_after = |marker: &str| -> SocketAddr {
        let rest = &said[said.find(marker).unwrap() + marker.len()..];
        rest.split(['/', ' ']).next().unwrap().parse().unwrap()
    };
    (
        address_after("listening on http://"),
        address_after("admin on http://"),
    )
}

/// Starts the binary; returns it once it reports listening (or `None` and what it said
/// before exiting).
pub fn launch(config: &Path) -> (Option<Child>, String) {
    launch_logged(config, None, None)
}

/// [`launch`], optionally with at most `nofile` file descriptors; what the server logs
/// after it started goes to `log`, if any.
// The running child is returned: `Server::drop` kills and waits for it.
#[allow(clippy::zombie_processes)]
pub fn launch_logged(
    config: &Path,
    nofile: Option<u32>,
    log: Option<PathBuf>,
) -> (Option<Child>, String) {
    let binary = env!("CARGO_BIN_EXE_ratel-server");
    let mut command = match nofile {
        // `exec` keeps the pid: the child is the server itself.
        Some(limit) => {
            let mut sh = Command::new("sh");
            sh.args([
                "-c",
                &format!("ulimit -n {limit} && exec \"$0\" --config \"$1\""),
            ])
            .arg(binary)
            .arg(config);
            sh
        }
        None => {
            let mut direct = Command::new(binary);
            direct.arg("--config").arg(config);
            direct
        }
    };
    let mut child = command.stderr(Stdio::piped()).spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            return (None, said);
        }
        said.push_str(&line);
        if line.contains("listening on http://") {
            // Keep draining stderr so the server never blocks on it, into the log if any.
            std::thread::spawn(move || {
                let mut file = log.map(|path| std::fs::File::create(path).unwrap());
                let mut line = String::new();
                while stderr.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if let Some(file) = file.as_mut() {
                        let _ = file.write_all(line.as_bytes());
                    }
                    line.clear();
                }
            });
            return (Some(child), said);
        }
    }
}

/// The server still answers an ordinary request correctly (after whatever a test did to it).
pub fn assert_still_answers(server: &Server) {
    assert_eq!(
        server.get("/billing/api/simple_balance/a1b2c3d4e5").body,
        "60.0000"
    );
}
