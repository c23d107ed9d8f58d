//! Rows of the PostgreSQL ledger: what a commit sends (JSON, read by `ratel_commit` with
//! `jsonb_to_recordset`) and what is read back. Amounts travel as decimal text both ways, so
//! nothing passes through a binary float.

use std::collections::HashMap;

use postgres::{Client, Row};
use serde_json::{json, Value};

use super::error::say;
use crate::accounts::Account;
use crate::cost::Terms;
use crate::ledger::session::OpenSession;
use crate::ledger::store::{CallDetail, Changes, Entry};
use crate::ledger::{Kind, RefKey};
use crate::money::Decimal;
use crate::time::Timestamp;

/// An entry's columns, as [`entry`] reads them.
pub(super) const ENTRY_COLUMNS: &str = "seq, to_char(time, 'YYYY-MM-DD HH24:MI:SS'), account, \
    amount::text, kind, reference, balance::text, description, number, \
    to_char(start, 'YYYY-MM-DD HH24:MI:SS'), billsec, rated_s, prefix";

/// A session's columns, as [`session`] reads them.
pub(super) const SESSION_COLUMNS: &str = "id, account, number, \
    to_char(start, 'YYYY-MM-DD HH24:MI:SS'), prefix, destination, currency, rate::text, \
    connection_fee::text, increment_s, min_time_s, first_interval_s, exchange_rate::text, \
    credit_limit::text, used_s, granted_s, final, reserved::text, \
    to_char(expires, 'YYYY-MM-DD HH24:MI:SS')";

/// Why a read failed: the database (or the connection), or a value the ledger did not write.
#[derive(Debug)]
pub(super) enum ReadError {
    Db(postgres::Error),
    Bad(String),
}

impl From<postgres::Error> for ReadError {
    fn from(error: postgres::Error) -> ReadError {
        ReadError::Db(error)
    }
}

impl ReadError {
    pub(super) fn message(&self) -> String {
        match self {
            ReadError::Db(error) => say(error),
            ReadError::Bad(message) => message.clone(),
        }
    }
}

fn bad(what: &str, value: &str) -> ReadError {
    ReadError::Bad(format!("the ledger holds a bad {what}: {value:?}"))
}

fn decimal(text: &str) -> Result<Decimal, ReadError> {
    Decimal::parse(text, true).map_err(|_| bad("amount", text))
}

fn parse_account(text: &str) -> Result<Account, ReadError> {
    text.parse().map_err(|_| bad("account", text))
}

fn time(text: &str) -> Result<Timestamp, ReadError> {
    Timestamp::parse(text).map_err(|_| bad("time", text))
}

fn seconds(value: i64) -> Result<u32, ReadError> {
    u32::try_from(value).map_err(|_| bad("number of seconds", &value.to_string()))
}

/// Entry `i` of a batch, for `ratel_commit` (its sequence number is the batch's first + i).
pub(super) fn entry_json(i: usize, entry: &Entry) -> Value {
    let call = entry.call.as_ref();
    json!({
        "i": i,
        "t": entry.time.to_string(),
        "a": entry.account.to_string(),
        "m": entry.amount.to_string(),
        "k": entry.kind.name(),
        "r": entry.reference,
        "b": entry.balance_after.to_string(),
        "d": entry.description,
        "n": call.map(|c| c.number.as_str()),
        "s": call.map(|c| c.start.to_string()),
        "bs": call.map(|c| c.billsec),
        "rs": call.map(|c| c.rated_s),
        "p": call.map(|c| c.prefix.as_str()),
    })
}

/// A session opened or extended, for `ratel_commit`.
pub(super) fn session_json(session: &OpenSession) -> Value {
    json!({
        "id": session.id,
        "account": session.account.to_string(),
        "number": session.number,
        "start": session.start.to_string(),
        "prefix": session.prefix,
        "destination": session.destination,
        "currency": session.currency,
        "rate": session.terms.rate.to_string(),
        "connection_fee": session.terms.connection_fee.to_string(),
        "increment_s": session.terms.increment_s,
        "min_time_s": session.terms.min_time_s,
        "first_interval_s": session.terms.first_interval_s,
        "exchange_rate": session.exchange_rate.to_string(),
        "credit_limit": session.limit.map(|limit| limit.to_string()),
        "used_s": session.used_s,
        "granted_s": session.granted_s,
        "final": session.final_grant,
        "reserved": session.reserved.to_string(),
        "expires": session.expires.to_string(),
    })
}

/// An entry read with `ENTRY_COLUMNS`.
pub(super) fn entry(row: &Row) -> Result<Entry, String> {
    read_entry(row).map_err(|error| error.message())
}

fn read_entry(row: &Row) -> Result<Entry, ReadError> {
    let text = |i: usize| row.try_get::<_, String>(i);
    let kind = text(4)?;
    let call = match row.try_get::<_, Option<String>>(8)? {
        None => None,
        Some(number) => Some(CallDetail {
            number,
            start: time(&text(9)?)?,
            billsec: row.try_get(10)?,
            rated_s: row.try_get::<_, i64>(11)?.unsigned_abs(),
            prefix: text(12)?,
        }),
    };
    Ok(Entry {
        seq: row.try_get::<_, i64>(0)?.unsigned_abs(),
        time: time(&text(1)?)?,
        account: parse_account(&text(2)?)?,
        amount: decimal(&text(3)?)?,
        kind: Kind::from_name(&kind).ok_or_else(|| bad("kind", &kind))?,
        reference: text(5)?,
        balance_after: decimal(&text(6)?)?,
        description: text(7)?,
        call,
    })
}

/// A session read with `SESSION_COLUMNS`.
pub(super) fn session(row: &Row) -> Result<OpenSession, ReadError> {
    let text = |i: usize| row.try_get::<_, String>(i);
    let count = |i: usize| -> Result<u32, ReadError> { seconds(row.try_get(i)?) };
    Ok(OpenSession {
        id: text(0)?,
        account: parse_account(&text(1)?)?,
        number: text(2)?,
        start: time(&text(3)?)?,
        prefix: text(4)?,
        destination: text(5)?,
        currency: text(6)?,
        terms: Terms {
            rate: decimal(&text(7)?)?,
            connection_fee: decimal(&text(8)?)?,
            increment_s: count(9)?,
            min_time_s: count(10)?,
            first_interval_s: count(11)?,
        },
        exchange_rate: decimal(&text(12)?)?,
        limit: row
            .try_get::<_, Option<String>>(13)?
            .map(|limit| decimal(&limit))
            .transpose()?,
        used_s: count(14)?,
        granted_s: count(15)?,
        final_grant: row.try_get(16)?,
        reserved: decimal(&text(17)?)?,
        expires: time(&text(18)?)?,
    })
}

/// `account, opening::text, balance::text, version`.
pub(super) fn account(row: &Row) -> Result<(Account, Decimal, Decimal, u64), ReadError> {
    Ok((
        parse_account(&row.try_get::<_, String>(0)?)?,
        decimal(&row.try_get::<_, String>(1)?)?,
        decimal(&row.try_get::<_, String>(2)?)?,
        row.try_get::<_, i64>(3)?.unsigned_abs(),
    ))
}

/// `kind, account, reference` of a keyed entry.
pub(super) fn key(row: &Row) -> Result<Option<RefKey>, ReadError> {
    let kind = row.try_get::<_, String>(0)?;
    let kind = Kind::from_name(&kind).ok_or_else(|| bad("kind", &kind))?;
    let owner = parse_account(&row.try_get::<_, String>(1)?)?;
    Ok(RefKey::of(kind, owner, &row.try_get::<_, String>(2)?))
}

/// The transactions a read could not see: those in progress when its snapshot was taken,
/// and every one from `xmax` on. What the next read must look at, and only that: a
/// transaction left open for long (an idle `psql` in `BEGIN`) stays one id in the list
/// instead of holding every read back to where it began.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Unseen {
    pub(super) xmax: i64,
    pub(super) in_progress: Vec<i64>,
}

/// What the transaction's snapshot cannot see.
pub(super) fn unseen(transaction: &mut postgres::Transaction<'_>) -> Result<Unseen, ReadError> {
    let row = transaction.query_one(
        "SELECT pg_snapshot_xmax(s)::text, ARRAY(SELECT x::text FROM pg_snapshot_xip(s) AS x) \
         FROM pg_current_snapshot() AS s",
        &[],
    )?;
    let id = |text: &str| text.parse::<i64>().map_err(|_| bad("transaction id", text));
    let xmax = id(&row.try_get::<_, String>(0)?)?;
    let in_progress = row
        .try_get::<_, Vec<String>>(1)?
        .iter()
        .map(|text| id(text))
        .collect::<Result<_, _>>()?;
    Ok(Unseen { xmax, in_progress })
}

/// What the transactions `unseen` by the last read wrote, in one snapshot: the changes, each
/// changed account's version, and what this read could not see (the next read's `unseen`).
pub(super) type Read = (Changes, HashMap<Account, u64>, Unseen);

/// Accounts whose version is the one in `known` are left out: this server wrote (or read)
/// them as they are.
pub(super) fn changes_since(
    client: &mut Client,
    unseen_before: &Unseen,
    known: &HashMap<Account, u64>,
) -> Result<Read, ReadError> {
    let mut transaction = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    // The rows read are the few written since the last look, found by index; a table whose
    // statistics lag its growth (a busy ledger between two ANALYZEs) would otherwise be
    // scanned whole, many times a second (seen: 236M rows read in a 5-s benchmark).
    transaction.batch_execute("SET LOCAL enable_seqscan = off")?;
    let unseen_now = unseen(&mut transaction)?;
    let (from, open) = (&unseen_before.xmax, &unseen_before.in_progress);
    let mut changes = Changes::default();
    let mut versions = HashMap::new();
    let mut names = Vec::new();
    for row in transaction.query(
        "SELECT account, opening::text, balance::text, version FROM accounts \
         WHERE xid >= $1 OR xid = ANY($2)",
        &[from, open],
    )? {
        let (account, opening, balance, version) = account(&row)?;
        if known.get(&account) == Some(&version) {
            continue;
        }
        versions.insert(account, version);
        names.push(account.to_string());
        changes.accounts.push((account, opening, balance));
    }
    for row in transaction.query(
        "SELECT kind, account, reference FROM entries \
         WHERE (xid >= $1 OR xid = ANY($2)) AND reference <> '' \
         AND kind IN ('call', 'adjustment')",
        &[from, open],
    )? {
        if let Some(key) = key(&row)? {
            changes.keys.push(key);
        }
    }
    if !names.is_empty() {
        // Few sessions or many, the planner knows best here.
        transaction.batch_execute("SET LOCAL enable_seqscan = on")?;
        for row in transaction.query(
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE account = ANY($1)"),
            &[&names],
        )? {
            changes.sessions.push(session(&row)?);
        }
    }
    transaction.commit()?;
    Ok((changes, versions, unseen_now))
}
