//! Several servers on one PostgreSQL database: two ledgers in this process, each with its
//! own connections, committer and listener, as two `ratel-server`s would have.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::super::test_backend::{per_minute, private_postgres, session_start};
use super::super::*;
use super::Target;
use crate::accounts::{Account, Accounts};
use crate::money::Decimal;
use crate::testing::demo_accounts;
use crate::testing::postgres::PrivatePostgres;

fn d(text: &str) -> Decimal {
    Decimal::parse(text, true).unwrap()
}

fn server(url: &str) -> Ledger {
    Ledger::open_postgres(Target::parse(url).unwrap(), "USD", Options::default()).unwrap()
}

/// Two servers on one new database, each with the demo accounts attached.
fn two_servers(pg: &PrivatePostgres, name: &str) -> [(Ledger, Accounts); 2] {
    let url = pg.new_database(name);
    // Both start at once, as a cluster does: each account gets one opening entry.
    std::thread::scope(|scope| {
        let started = [0, 1].map(|_| {
            scope.spawn(|| {
                let ledger = server(&url);
                let mut accounts = demo_accounts();
                ledger.attach(&mut accounts).unwrap();
                (ledger, accounts)
            })
        });
        started.map(|handle| handle.join().unwrap())
    })
}

fn charge(accounts: &Accounts, name: &str, amount: &str, id: &str) -> Submission {
    let user = accounts.user_by_username(name).unwrap();
    Submission::Change(Change {
        account: Account::User(user.id),
        cell: Arc::clone(&user.live),
        amount: d(amount),
        kind: Kind::Call,
        reference: id.into(),
        description: String::new(),
        call: None,
    })
}

/// Waits (at most 1 s) until `check` holds; how long it took.
fn within_a_second(check: impl Fn() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(1) {
        if check() {
            return Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    check().then(|| started.elapsed())
}

/// Charges alice 0.01 through server `a` (call id `id`), then waits for the other server's
/// accounts to show her balance after it: how long that took, if within a second.
fn charge_then_watch(
    a: &Ledger,
    accounts_a: &Accounts,
    accounts_b: &Accounts,
    id: &str,
) -> Option<Duration> {
    let outcome = a.commit(vec![charge(accounts_a, "alice", "-0.01", id)]);
    let Applied::Done(entry) = &outcome[0] else {
        panic!("{outcome:?}")
    };
    let after = entry.balance_after;
    within_a_second(|| accounts_b.user_by_username("alice").unwrap().balance() == after)
}

#[test]
fn both_servers_starting_at_once_open_each_account_once() {
    let Some(pg) = private_postgres() else { return };
    let [(a, accounts_a), (_b, accounts_b)] = two_servers(&pg, "openings");
    let accounts = accounts_a.users().len() + accounts_a.cards().len();
    assert_eq!(
        pg.psql(
            "openings",
            "SELECT count(*) FROM entries WHERE kind = 'opening'"
        ),
        accounts.to_string()
    );
    assert_eq!(a.accounts(), accounts);
    let alice = |accounts: &Accounts| accounts.user_by_username("alice").unwrap().balance();
    assert_eq!((alice(&accounts_a), alice(&accounts_b)), (d("60"), d("60")));
}

/// Eight threads charge through two servers at once, every id sent to both: each id is
/// charged once, and both servers' balances, and the database's, are the openings plus the
/// exact sum of the charges acknowledged.
#[test]
fn charges_through_two_servers_sum_exactly_and_each_id_is_charged_once() {
    let Some(pg) = private_postgres() else { return };
    let servers = two_servers(&pg, "charges");
    let names = ["alice", "bob", "carol"];
    let acknowledged: Vec<(Account, Decimal, String)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let (ledger, accounts) = &servers[t % 2];
                scope.spawn(move || {
                    let mut acknowledged = Vec::new();
                    for i in 0..40 {
                        let name = names[(t / 2 + i) % names.len()];
                        // Threads t and t+1 (one on each server) send the same ids.
                        let id = format!("c-{}-{i}", t / 2);
                        let amount = format!("-0.{:06}", 1 + (t / 2) * 1000 + i);
                        let batch = vec![charge(accounts, name, &amount, &id)];
                        match ledger.commit(batch).remove(0) {
                            Applied::Done(entry) => {
                                acknowledged.push((entry.account, entry.amount, id))
                            }
                            Applied::Duplicate(entry) => assert_eq!(entry.reference, id),
                            other => panic!("{other:?}"),
                        }
                    }
                    acknowledged
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    let mut ids: Vec<&str> = acknowledged.iter().map(|a| a.2.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((acknowledged.len(), ids.len()), (4 * 40, 4 * 40));
    for name in names {
        let user = servers[0].1.user_by_username(name).unwrap();
        let expected = acknowledged
            .iter()
            .filter(|(account, _, _)| *account == Account::User(user.id))
            .fold(user.csv_balance, |sum, (_, amount, _)| {
                sum.checked_add(*amount).unwrap()
            });
        for (ledger, accounts) in &servers {
            let live = || accounts.user_by_username(name).unwrap().balance() == expected;
            assert!(within_a_second(live).is_some(), "{name} on one server");
            assert_eq!(ledger.stats().failures.load(Ordering::Relaxed), 0);
        }
        let stored = pg.psql(
            "charges",
            &format!(
                "SELECT balance - {expected} FROM accounts WHERE account = 'user:{}'",
                user.id
            ),
        );
        assert_eq!(d(&stored), Decimal::ZERO, "{name} in the database");
    }
    // The database has one entry per id, each with its own sequence number.
    assert_eq!(
        pg.psql(
            "charges",
            "SELECT count(*), count(DISTINCT reference), count(DISTINCT seq) FROM entries \
             WHERE kind = 'call'"
        ),
        "160|160|160"
    );
}

/// A change through one server is seen by the other within a second (the delays are
/// printed: `cargo test -- --nocapture`).
#[test]
fn a_change_through_one_server_is_seen_by_the_other_within_a_second() {
    let Some(pg) = private_postgres() else { return };
    let [(a, accounts_a), (_b, accounts_b)] = two_servers(&pg, "visible");
    let mut delays = Vec::new();
    for i in 0..40 {
        let seen = charge_then_watch(&a, &accounts_a, &accounts_b, &format!("v-{i}"));
        delays.push(seen.expect("seen by the other server within 1 s"));
    }
    delays.sort_unstable();
    eprintln!(
        "seen by the other server after: p50 {:?}, p99 {:?}, max {:?}",
        delays[delays.len() / 2],
        delays[delays.len() * 99 / 100],
        delays[delays.len() - 1]
    );
}

/// Sessions started through both servers at once never reserve more than the payer has,
/// and a session started on one server is ended through the other.
#[test]
fn sessions_through_two_servers_never_over_reserve() {
    let Some(pg) = private_postgres() else { return };
    let servers = two_servers(&pg, "sessions");
    let settings = session::SessionSettings {
        grant_s: 600,
        grace_s: 60,
        max_open: 1000,
        max_call_seconds: 7200,
    };
    // dave has 15.50: at 1.5 a minute a grant of 600 s holds 15, so one full grant and a
    // final one of 20 s (0.50).
    let start = |accounts: &Accounts, id: String| {
        let user = accounts.user_by_username("dave").unwrap();
        let account = Account::User(user.id);
        session_start(account, &user.live, id, per_minute("1.5"), settings)
    };
    let outcomes: Vec<(usize, Applied)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..10)
            .map(|t| {
                let (ledger, accounts) = &servers[t % 2];
                let start = &start;
                scope.spawn(move || {
                    (0..5)
                        .map(|i| {
                            let id = format!("s-{t}-{i}");
                            (t % 2, ledger.commit(vec![start(accounts, id)]).remove(0))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    let mut granted = Vec::new();
    let mut refused = 0;
    for (server, outcome) in outcomes {
        match outcome {
            Applied::Session(SessionOutcome::Granted { session, .. }) => {
                granted.push((server, session))
            }
            Applied::Session(SessionOutcome::Refused(_)) => refused += 1,
            other => panic!("{other:?}"),
        }
    }
    let mut seconds: Vec<u32> = granted.iter().map(|(_, s)| s.granted_s).collect();
    seconds.sort_unstable();
    assert_eq!((seconds, refused), (vec![20, 600], 48));
    assert_eq!(
        pg.psql("sessions", "SELECT sum(reserved) FROM sessions"),
        "15.5"
    );
    // Each session ended through the server that did not start it: charged once, released.
    for (server, session) in &granted {
        let other = &servers[1 - server].0;
        let ended = other.commit(vec![Submission::Session(SessionOp::End {
            id: session.id.clone(),
            billsec: 10,
            fallback: None,
        })]);
        assert!(
            matches!(&ended[0], Applied::Done(entry) if entry.amount == d("-0.25")),
            "{ended:?}"
        );
    }
    let dave = |accounts: &Accounts| {
        accounts
            .user_by_username("dave")
            .unwrap()
            .live
            .get_with_reserved()
    };
    for (_, accounts) in &servers {
        let settled = within_a_second(|| dave(accounts) == (d("15"), Decimal::ZERO));
        assert!(settled.is_some(), "{:?}", dave(accounts));
    }
    assert_eq!(pg.psql("sessions", "SELECT count(*) FROM sessions"), "0");
}

/// PostgreSQL stopped under a server: its charges fail (nothing applied) and it says it is
/// unreachable; started again, the server reconnects by itself, catches up on what another
/// server wrote meanwhile, and nothing acknowledged is lost or applied twice.
#[test]
fn losing_the_database_fails_writes_then_recovers_without_a_restart() {
    let Some(mut pg) = private_postgres() else {
        return;
    };
    let [(a, accounts_a), (b, accounts_b)] = two_servers(&pg, "ratel_down");
    let first = a.commit(vec![charge(&accounts_a, "alice", "-1", "before")]);
    assert!(matches!(first[0], Applied::Done(_)));
    pg.stop();
    let during = a.commit(vec![charge(&accounts_a, "alice", "-1", "during")]);
    assert!(matches!(&during[0], Applied::Failed(_)), "{during:?}");
    assert!(a.stats().unreachable().is_some());
    // Reads go on from memory.
    assert_eq!(
        accounts_a.user_by_username("alice").unwrap().balance(),
        d("59")
    );
    pg.start_again();
    // The failed charge resent, through the other server this time; then once more here.
    let deadline = Instant::now() + Duration::from_secs(10);
    let resent = loop {
        let outcome = b.commit(vec![charge(&accounts_b, "alice", "-1", "during")]);
        if !matches!(outcome[0], Applied::Failed(_)) || Instant::now() > deadline {
            break outcome;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(matches!(resent[0], Applied::Done(_)), "{resent:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let again = loop {
        let outcome = a.commit(vec![charge(&accounts_a, "alice", "-1", "during")]);
        if !matches!(outcome[0], Applied::Failed(_)) || Instant::now() > deadline {
            break outcome;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(matches!(again[0], Applied::Duplicate(_)), "{again:?}");
    assert!(within_a_second(|| a.stats().unreachable().is_none()).is_some());
    for accounts in [&accounts_a, &accounts_b] {
        let alice = || accounts.user_by_username("alice").unwrap().balance() == d("58");
        assert!(within_a_second(alice).is_some());
    }
    assert_eq!(
        pg.psql(
            "ratel_down",
            "SELECT count(*) FROM entries WHERE kind = 'call'"
        ),
        "2"
    );
}

/// The schema refuses what a ledger must never do, and a server refuses a database kept in
/// another currency or written by an unknown schema version.
#[test]
fn the_database_keeps_entries_append_only_and_refuses_a_foreign_ledger() {
    let Some(pg) = private_postgres() else { return };
    let url = pg.new_database("schema");
    let ledger = server(&url);
    ledger.attach(&mut demo_accounts()).unwrap();
    drop(ledger);
    let mut client = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    for statement in [
        "UPDATE entries SET amount = 1",
        "DELETE FROM entries",
        "TRUNCATE entries",
    ] {
        let error = format!("{:?}", client.execute(statement, &[]).unwrap_err());
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
    let error = Ledger::open_postgres(Target::parse(&url).unwrap(), "EUR", Options::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("keeps balances in USD"), "{error}");
    client
        .execute(
            "UPDATE ratel_meta SET value = '9' WHERE key = 'schema_version'",
            &[],
        )
        .unwrap();
    let error = Ledger::open_postgres(Target::parse(&url).unwrap(), "USD", Options::default())
        .unwrap_err()
        .to_string();
    assert!(error.contains("schema version 9"), "{error}");
}

/// One session id started for two payers through two servers at once: one payer gets it,
/// the other is refused as another payer's, and the database holds one session, the
/// winner's; ending it through the loser's server charges the winner.
#[test]
fn one_session_id_for_two_payers_on_two_servers_goes_to_one() {
    let Some(pg) = private_postgres() else { return };
    let servers = two_servers(&pg, "shared_id");
    let settings = session::SessionSettings {
        grant_s: 60,
        grace_s: 60,
        max_open: 1000,
        max_call_seconds: 7200,
    };
    let start = |accounts: &Accounts, name: &str, id: String| {
        let user = accounts.user_by_username(name).unwrap();
        let account = Account::User(user.id);
        session_start(account, &user.live, id, per_minute("0.6"), settings)
    };
    for round in 0..5 {
        let id = format!("same-{round}");
        let outcomes: Vec<Applied> = std::thread::scope(|scope| {
            let handles = [("alice", 0), ("dave", 1)].map(|(name, server)| {
                let (ledger, accounts) = &servers[server];
                let submission = start(accounts, name, id.clone());
                scope.spawn(move || ledger.commit(vec![submission]).remove(0))
            });
            handles.map(|h| h.join().unwrap()).into()
        });
        let granted: Vec<&Applied> = outcomes
            .iter()
            .filter(|o| matches!(o, Applied::Session(SessionOutcome::Granted { .. })))
            .collect();
        assert_eq!(granted.len(), 1, "{outcomes:?}");
        assert!(
            outcomes.iter().any(
                |o| matches!(o, Applied::Session(SessionOutcome::Refused(r)) if *r == OTHER_PAYER)
            ),
            "{outcomes:?}"
        );
        assert_eq!(
            pg.psql(
                "shared_id",
                &format!("SELECT count(*) FROM sessions WHERE id = '{id}'")
            ),
            "1"
        );
        let Applied::Session(SessionOutcome::Granted { session, .. }) = granted[0] else {
            unreachable!()
        };
        // Ended through either server: charged to the winner, once.
        for (ledger, _) in &servers {
            let ended = ledger.commit(vec![Submission::Session(SessionOp::End {
                id: id.clone(),
                billsec: 30,
                fallback: None,
            })]);
            match &ended[0] {
                Applied::Done(entry) | Applied::Duplicate(entry) => {
                    assert_eq!((entry.account, entry.amount), (session.account, d("-0.3")))
                }
                other => panic!("{other:?}"),
            }
        }
    }
}

/// A transaction left open on the database (an operator's `BEGIN` in psql, holding a
/// transaction id) neither hides the servers' changes from each other nor makes them read
/// everything since it began: it is one id in the list the next read looks at.
#[test]
fn a_transaction_left_open_on_the_database_hides_nothing() {
    let Some(pg) = private_postgres() else { return };
    let [(a, accounts_a), (_b, accounts_b)] = two_servers(&pg, "left_open");
    let url = format!(
        "postgresql://ratel@/left_open?host={}",
        pg.socket_dir().display()
    );
    let mut operator = ::postgres::Client::connect(&url, ::postgres::NoTls).unwrap();
    let mut open = operator.transaction().unwrap();
    open.query_one("SELECT pg_current_xact_id()", &[]).unwrap();
    for i in 0..20 {
        let seen = charge_then_watch(&a, &accounts_a, &accounts_b, &format!("o-{i}"));
        assert!(
            seen.is_some(),
            "change {i} not seen with a transaction left open"
        );
    }
    open.rollback().unwrap();
}

/// An operator's UPDATE of a balance in psql (with or without touching `version`) is taken
/// in by every server: they answer it, and their next commits for the account build on it
/// instead of overwriting it or being refused.
#[test]
fn a_balance_changed_by_hand_is_taken_in_by_every_server() {
    let Some(pg) = private_postgres() else { return };
    let [(a, accounts_a), (b, accounts_b)] = two_servers(&pg, "by_hand");
    let alice = |accounts: &Accounts| accounts.user_by_username("alice").unwrap().balance();
    // What the operator sets, and the balance after one charge of 0.50 through each server.
    for (statement, set, expected) in [
        (
            "UPDATE accounts SET balance = 1000 WHERE account = 'user:3'",
            "1000",
            "999",
        ),
        (
            "UPDATE accounts SET balance = 2000, version = version + 1 WHERE account = 'user:3'",
            "2000",
            "1999",
        ),
    ] {
        pg.psql("by_hand", statement);
        for accounts in [&accounts_a, &accounts_b] {
            let seen = within(Duration::from_secs(3), || alice(accounts) == d(set));
            assert!(seen, "{statement}: {}", alice(accounts));
        }
        let id = format!("after-{expected}");
        assert!(matches!(
            a.commit(vec![charge(&accounts_a, "alice", "-0.5", &id)])[0],
            Applied::Done(_)
        ));
        let id = format!("after-b-{expected}");
        assert!(matches!(
            b.commit(vec![charge(&accounts_b, "alice", "-0.5", &id)])[0],
            Applied::Done(_)
        ));
        let stored = pg.psql(
            "by_hand",
            "SELECT balance FROM accounts WHERE account = 'user:3'",
        );
        assert_eq!(d(&stored), d(expected), "{statement}");
    }
}

/// Waits (at most `limit`) until `check` holds.
fn within(limit: Duration, check: impl Fn() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    check()
}
