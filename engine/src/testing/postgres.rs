//! A private PostgreSQL for tests: a new cluster in a temporary folder, from the Debian
//! package's binaries (`/usr/lib/postgresql/N/bin`, or `RATEL_PG_BIN`), listening on a Unix
//! socket in that folder only. As root it runs as the `postgres` user (PostgreSQL refuses
//! root). Stopped (immediately) and removed when dropped.
//!
//! Without the binaries a test that needs one fails and says how to install them, unless
//! `RATEL_SKIP_POSTGRES=1` is set: then [`PrivatePostgres::start`] answers `None` and the
//! test says it skipped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped, then started again) private PostgreSQL.
#[derive(Debug)]
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    server: Option<Child>,
    /// As root: the `postgres` user's ids.
    run_as: Option<(u32, u32)>,
}

/// The binaries' folder: `RATEL_PG_BIN`, or the newest `/usr/lib/postgresql/N/bin`.
fn binaries() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("RATEL_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

/// The `postgres` user's uid and gid (`id`).
fn postgres_user() -> Option<(u32, u32)> {
    let id = |flag: &str| -> Option<u32> {
        let output = Command::new("id").args([flag, "postgres"]).output().ok()?;
        String::from_utf8(output.stdout).ok()?.trim().parse().ok()
    };
    Some((id("-u")?, id("-g")?))
}

/// Whether this process runs as root (the owner of `/proc/self`).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

impl PrivatePostgres {
    /// Creates and starts a new cluster, or `None` when `RATEL_SKIP_POSTGRES=1` and the
    /// binaries are missing. Panics, saying why, when it cannot.
    pub fn start() -> Option<PrivatePostgres> {
        let Some(bin) = binaries() else {
            if std::env::var("RATEL_SKIP_POSTGRES").as_deref() == Ok("1") {
                eprintln!("skipped: no PostgreSQL binaries and RATEL_SKIP_POSTGRES=1");
                return None;
            }
            panic!(
                "the PostgreSQL tests need the PostgreSQL server binaries: \
                 `apt-get install postgresql` (or set RATEL_PG_BIN to their folder; \
                 RATEL_SKIP_POSTGRES=1 skips these tests)"
            );
        };
        let run_as = match is_root() {
            true => Some(postgres_user().expect("running as root needs a `postgres` user")),
            false => None,
        };
        let dir = tempfile::Builder::new()
            .prefix("ratel-pg-")
            .tempdir()
            .expect("a temporary folder");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let mut pg = PrivatePostgres {
            dir,
            bin,
            server: None,
            run_as,
        };
        let data = pg.data();
        let status = pg
            .command("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "ratel",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&data)
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        pg.start_again();
        let status = pg
            .command("createdb")
            .args(["-h"])
            .arg(pg.socket_dir())
            .args(["-U", "ratel", "ratel"])
            .status()
            .expect("createdb runs");
        assert!(status.success(), "createdb failed");
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder of the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `[ledger] url` for the database `ratel`.
    pub fn url(&self) -> String {
        format!(
            "postgresql://ratel@/ratel?host={}",
            self.socket_dir().display()
        )
    }

    /// A new, empty database, and its URL.
    pub fn new_database(&self, name: &str) -> String {
        let status = self
            .command("createdb")
            .args(["-h"])
            .arg(self.socket_dir())
            .args(["-U", "ratel", name])
            .status()
            .expect("createdb runs");
        assert!(status.success(), "createdb {name} failed");
        format!(
            "postgresql://ratel@/{name}?host={}",
            self.socket_dir().display()
        )
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin.join(program));
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            command.uid(uid).gid(gid);
        }
        command
    }

    /// Stops the server at once, as a crash would (`SIGQUIT`: no checkpoint).
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = Command::new("kill")
                .args(["-QUIT", &server.id().to_string()])
                .status();
            let _ = server.wait();
        }
    }

    /// Starts the server (again), and waits until it accepts connections.
    pub fn start_again(&mut self) {
        let data = self.data();
        let socket = self.socket_dir().to_owned();
        let server = self
            .command("postgres")
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(&socket)
            .args(["-c", "listen_addresses=", "-c", "max_connections=100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.server = Some(server);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self
                .command("pg_isready")
                .arg("-q")
                .arg("-h")
                .arg(&socket)
                .status()
                .is_ok_and(|status| status.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `sql` with psql on the database `db`; its output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let output = self
            .command("psql")
            .arg("-h")
            .arg(self.socket_dir())
            .args([
                "-U",
                "ratel",
                "-d",
                db,
                "-qAtX",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(
            output.status.success(),
            "psql failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        self.stop();
    }
}
