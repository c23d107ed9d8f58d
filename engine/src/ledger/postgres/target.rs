//! Which database a ledger is in: `[ledger] url`, a libpq-style URL
//! (`postgresql://USER@/DB?host=/SOCKET/DIR`), its password from the URL or `PGPASSWORD`.
//! Shown everywhere without its password.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use postgres::config::Host;
use postgres::{Client, Config, NoTls};

/// How long a connection attempt may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// How long data sent may go unacknowledged before the connection is dropped (a database
/// host gone without a reset): the committer's writes fail after this instead of hanging
/// for the kernel's quarter of an hour.
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(5);

/// Idle time before keepalive probes, and between them: a lost host is found by an idle
/// connection (the listener's) in about 10 s.
const KEEPALIVE: Duration = Duration::from_secs(5);

/// What every session of the ledger runs with: a statement that takes longer fails (a
/// commit is one statement); a commit is durable when it returns, whatever the server's
/// default says.
const SESSION_OPTIONS: &str = "-c statement_timeout=10s -c synchronous_commit=on";

/// A database to connect to.
#[derive(Clone)]
pub struct Target {
    config: Config,
}

impl Target {
    /// Reads `url`; the error never repeats the URL (it may hold a password).
    pub fn parse(url: &str) -> Result<Target, String> {
        let mut config = Config::from_str(url).map_err(|error| {
            format!("not a PostgreSQL URL (postgresql://USER@HOST/DB or postgresql://USER@/DB?host=/SOCKET/DIR): {error}")
        })?;
        if config.get_hosts().is_empty() {
            return Err("the PostgreSQL URL names no host: add one, or host=/SOCKET/DIR".into());
        }
        if config.get_dbname().is_none() {
            return Err("the PostgreSQL URL names no database".into());
        }
        if config.get_user().is_none() {
            return Err("the PostgreSQL URL names no user (postgresql://USER@...)".into());
        }
        if config.get_password().is_none() {
            if let Ok(password) = std::env::var("PGPASSWORD") {
                config.password(password);
            }
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        config
            .tcp_user_timeout(TCP_USER_TIMEOUT)
            .keepalives_idle(KEEPALIVE)
            .keepalives_interval(KEEPALIVE)
            .keepalives_retries(2);
        let options = match config.get_options() {
            Some(given) => format!("{given} {SESSION_OPTIONS}"),
            None => SESSION_OPTIONS.to_owned(),
        };
        config.options(&options);
        config.application_name("ratel-server");
        Ok(Target { config })
    }

    pub(crate) fn connect(&self) -> Result<Client, postgres::Error> {
        self.config.connect(NoTls)
    }
}

impl fmt::Display for Target {
    /// `postgresql://USER@HOST:PORT/DB`, or `postgresql://USER@/DB?host=/SOCKET/DIR` for a
    /// Unix socket (as it is written in `[ledger] url`); never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let user = self.config.get_user().unwrap_or("");
        let db = self.config.get_dbname().unwrap_or("");
        let port = self
            .config
            .get_ports()
            .first()
            .map(|port| format!(":{port}"));
        match self.config.get_hosts().first() {
            Some(Host::Unix(dir)) => {
                let port = port.map(|port| format!("&port={}", &port[1..]));
                write!(
                    f,
                    "postgresql://{user}@/{db}?host={}{}",
                    dir.display(),
                    port.unwrap_or_default()
                )
            }
            Some(Host::Tcp(name)) => {
                write!(
                    f,
                    "postgresql://{user}@{name}{}/{db}",
                    port.unwrap_or_default()
                )
            }
            None => write!(f, "postgresql://{user}@/{db}"),
        }
    }
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Target({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password_and_checked() {
        let target = Target::parse("postgresql://ratel:s3cret@db.example:5433/billing").unwrap();
        assert_eq!(
            target.to_string(),
            "postgresql://ratel@db.example:5433/billing"
        );
        assert!(!format!("{target:?}").contains("s3cret"));
        let socket = Target::parse("postgresql://ratel@/billing?host=/run/postgresql").unwrap();
        assert_eq!(
            socket.to_string(),
            "postgresql://ratel@/billing?host=/run/postgresql"
        );
        let no_db = Target::parse("postgresql://ratel:s3cret@db.example").unwrap_err();
        assert_eq!(no_db, "the PostgreSQL URL names no database");
        let bad = Target::parse("mysql://ratel:s3cret@x/y").unwrap_err();
        assert!(!bad.contains("s3cret"), "{bad}");
    }
}
