//! The stores the ledger's test suites run against: a SQLite file, and a database of a
//! private PostgreSQL (`testing::postgres`). A suite written once against [`Backend`] runs
//! on both.

use std::sync::Arc;

use super::session::{OpenSession, SessionSettings};
use super::{postgres::Target, Ledger, LedgerError, Options, SessionOp, Submission};
use crate::accounts::{Account, BalanceCell};
use crate::cost::Terms;
use crate::money::Decimal;
use crate::testing::postgres::PrivatePostgres;
use crate::time::Timestamp;

/// Opens a SQLite ledger that this test has just dropped (a restart). Tests run in threads
/// of one process, and some of them start processes (a private PostgreSQL, `id`, `kill`):
/// a child between its fork and its exec holds a copy of every descriptor, the ledger's
/// locked file too, so the lock of a ledger just dropped can outlive it by that moment. A
/// refusal as in use is therefore retried for up to 2 s; any other error is returned.
pub(crate) fn reopen(
    open: impl Fn() -> Result<Ledger, LedgerError>,
) -> Result<Ledger, LedgerError> {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        match open() {
            Err(LedgerError::InUse { .. }) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

/// Where a test's ledger lives.
pub(crate) enum Backend<'pg> {
    Sqlite(tempfile::TempDir),
    /// A database of a private PostgreSQL (which outlives it).
    Postgres {
        _pg: &'pg PrivatePostgres,
        url: String,
    },
}

impl<'pg> Backend<'pg> {
    pub(crate) fn sqlite() -> Backend<'static> {
        Backend::Sqlite(tempfile::tempdir().unwrap())
    }

    /// A new database `name` of `pg`.
    pub(crate) fn postgres(pg: &'pg PrivatePostgres, name: &str) -> Backend<'pg> {
        Backend::Postgres {
            _pg: pg,
            url: pg.new_database(name),
        }
    }

    /// Opens the ledger (again: a restart), in USD.
    pub(crate) fn open(&self) -> Ledger {
        match self {
            Backend::Sqlite(dir) => {
                reopen(|| Ledger::open(&dir.path().join("ledger.sqlite"), "USD")).unwrap()
            }
            Backend::Postgres { url, .. } => {
                Ledger::open_postgres(Target::parse(url).unwrap(), "USD", Options::default())
                    .unwrap()
            }
        }
    }

    /// One number the store answers to `sql` (the same SQL on both).
    pub(crate) fn count(&self, sql: &str) -> i64 {
        match self {
            Backend::Sqlite(dir) => rusqlite::Connection::open(dir.path().join("ledger.sqlite"))
                .unwrap()
                .query_row(sql, [], |row| row.get(0))
                .unwrap(),
            Backend::Postgres { url, .. } => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                client.query_one(sql, &[]).unwrap().get(0)
            }
        }
    }
}

/// A private PostgreSQL for a test, or `None` (skipped: `RATEL_SKIP_POSTGRES=1`).
pub(crate) fn private_postgres() -> Option<PrivatePostgres> {
    PrivatePostgres::start()
}

/// A session start: the call `id` of `account` to a Lithuanian number (prefix 370, in USD),
/// priced with `terms`, under `settings`.
pub(crate) fn session_start(
    account: Account,
    cell: &Arc<BalanceCell>,
    id: String,
    terms: Terms,
    settings: SessionSettings,
) -> Submission {
    Submission::Session(SessionOp::Start {
        session: Box::new(OpenSession {
            id,
            account,
            number: "37061234567".into(),
            start: Timestamp(0),
            prefix: "370".into(),
            destination: "Lithuania".into(),
            currency: "USD".into(),
            terms,
            exchange_rate: Decimal::new(1, 0),
            limit: Some(Decimal::ZERO),
            used_s: 0,
            granted_s: 0,
            final_grant: false,
            reserved: Decimal::ZERO,
            expires: Timestamp(0),
        }),
        cell: Arc::clone(cell),
        settings,
    })
}

/// Terms of `rate` a minute, per second, no fee.
pub(crate) fn per_minute(rate: &str) -> Terms {
    Terms {
        rate: Decimal::parse(rate, true).unwrap(),
        connection_fee: Decimal::ZERO,
        increment_s: 1,
        min_time_s: 0,
        first_interval_s: 0,
    }
}
