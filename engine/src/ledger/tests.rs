//! The ledger against a real SQLite file: openings, changes, repeats, restarts, a second
//! process, and concurrent writers.

use std::sync::Arc;

use super::test_backend::{private_postgres, reopen, Backend};
use super::*;
use crate::money::Decimal;
use crate::testing::demo_accounts;

fn d(text: &str) -> Decimal {
    Decimal::parse(text, true).unwrap()
}

/// Opens (or, after a drop, opens again) the ledger in `dir`.
fn ledger_in(dir: &std::path::Path) -> Ledger {
    reopen(|| Ledger::open(&dir.join("ledger.sqlite"), "USD")).unwrap()
}

/// A change of `amount` to the user `username` of `accounts`.
fn change(
    accounts: &Accounts,
    username: &str,
    amount: &str,
    kind: Kind,
    reference: &str,
) -> Submission {
    let user = accounts.user_by_username(username).unwrap();
    Submission::Change(Change {
        account: Account::User(user.id),
        cell: Arc::clone(&user.live),
        amount: d(amount),
        kind,
        reference: reference.into(),
        description: String::new(),
        call: None,
    })
}

fn done(applied: &Applied) -> &Entry {
    match applied {
        Applied::Done(entry) => entry,
        other => panic!("not applied: {other:?}"),
    }
}

#[test]
fn openings_changes_and_a_restart_sqlite() {
    openings_changes_and_a_restart(&Backend::sqlite());
}

#[test]
fn openings_changes_and_a_restart_postgres() {
    let Some(pg) = private_postgres() else { return };
    openings_changes_and_a_restart(&Backend::postgres(&pg, "t"));
}

fn openings_changes_and_a_restart(backend: &Backend<'_>) {
    let ledger = backend.open();
    let mut accounts = demo_accounts();
    let attached = ledger.attach(&mut accounts).unwrap();
    assert_eq!(
        attached,
        Attached {
            opened: accounts.users().len() + accounts.cards().len(),
            differing: 0
        }
    );
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance(), d("60"));

    let outcomes = ledger.commit(vec![
        change(&accounts, "alice", "-0.541667", Kind::Call, "c-1"),
        change(&accounts, "alice", "10", Kind::Adjustment, "top-up-1"),
    ]);
    assert_eq!(done(&outcomes[0]).balance_after, d("59.458333"));
    assert_eq!(done(&outcomes[1]).balance_after, d("69.458333"));
    assert_eq!(done(&outcomes[1]).seq, done(&outcomes[0]).seq + 1);
    assert_eq!(alice.balance(), d("69.458333"));

    // The same call id and the same reference again: the stored entries, nothing applied.
    let repeats = ledger.commit(vec![
        change(&accounts, "alice", "-0.541667", Kind::Call, "c-1"),
        change(&accounts, "alice", "10", Kind::Adjustment, "top-up-1"),
    ]);
    assert_eq!(repeats[0], Applied::Duplicate(done(&outcomes[0]).clone()));
    assert_eq!(repeats[1], Applied::Duplicate(done(&outcomes[1]).clone()));
    assert_eq!(alice.balance(), d("69.458333"));

    // An adjustment's reference is per account: bob may use the same one.
    let bob = ledger.commit(vec![change(
        &accounts,
        "bob",
        "1",
        Kind::Adjustment,
        "top-up-1",
    )]);
    assert_eq!(done(&bob[0]).balance_after, d("-11.34"));
    // Openings, the two changes and bob's: three commits, 13 + 3 entries; the repeats wrote
    // nothing.
    let stats = ledger.stats();
    let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!((count(&stats.commits), count(&stats.entries)), (3, 13 + 3));
    assert_eq!(count(&stats.failures), 0);
    assert_eq!(ledger.accounts(), 13);
    drop(ledger);

    // Restart: balances from the ledger, not the files; repeats still recognised.
    let ledger = backend.open();
    let mut accounts = demo_accounts();
    assert_eq!(ledger.attach(&mut accounts).unwrap(), Attached::default());
    assert_eq!(
        accounts.user_by_username("alice").unwrap().balance(),
        d("69.458333")
    );
    assert_eq!(
        accounts.user_by_username("bob").unwrap().balance(),
        d("-11.34")
    );
    let again = ledger.commit(vec![change(
        &accounts,
        "alice",
        "-0.541667",
        Kind::Call,
        "c-1",
    )]);
    assert_eq!(again[0], Applied::Duplicate(done(&outcomes[0]).clone()));
}

#[test]
fn a_reload_keeps_balances_sqlite() {
    a_reload_keeps_balances(&Backend::sqlite());
}

#[test]
fn a_reload_keeps_balances_postgres() {
    let Some(pg) = private_postgres() else { return };
    a_reload_keeps_balances(&Backend::postgres(&pg, "t"));
}

fn a_reload_keeps_balances(backend: &Backend<'_>) {
    let ledger = backend.open();
    let mut first = demo_accounts();
    ledger.attach(&mut first).unwrap();
    ledger.commit(vec![change(&first, "alice", "-5", Kind::Adjustment, "")]);

    // The files change alice's balance and add nobody: the ledger's balance stays.
    let mut second = demo_accounts();
    let users = second.users().len();
    let alice = second
        .live_cells_mut()
        .find(|(a, _, _)| *a == Account::User(3));
    assert!(alice.is_some());
    let attached = ledger.attach(&mut second).unwrap();
    assert_eq!(attached.opened, 0);
    assert_eq!(second.user_by_username("alice").unwrap().balance(), d("55"));
    assert!(users > 0);

    // A file whose opening differs is counted (how many, not which).
    let dir2 = tempfile::tempdir().unwrap();
    for file in crate::testing::ACCOUNT_FILES {
        std::fs::copy(
            crate::testing::demo_dir().join(file),
            dir2.path().join(file),
        )
        .unwrap();
    }
    let users_csv = dir2.path().join("users.csv");
    let text = std::fs::read_to_string(&users_csv).unwrap();
    std::fs::write(&users_csv, text.replace(",EUR,60,100,", ",EUR,61,100,")).unwrap();
    let (mut changed, _) = crate::accounts::load(
        &crate::testing::account_files_in(dir2.path()),
        "USD",
        &|_| true,
    )
    .unwrap();
    let attached = ledger.attach(&mut changed).unwrap();
    assert_eq!(
        attached,
        Attached {
            opened: 0,
            differing: 1
        }
    );
    assert_eq!(
        changed.user_by_username("alice").unwrap().balance(),
        d("55")
    );
}

#[test]
fn a_second_ledger_on_the_same_file_is_refused_and_so_is_another_currency() {
    let dir = tempfile::tempdir().unwrap();
    let first = ledger_in(dir.path());
    let error = Ledger::open(&dir.path().join("ledger.sqlite"), "USD").unwrap_err();
    assert!(matches!(error, LedgerError::InUse { .. }), "{error}");
    assert!(
        error.to_string().contains("in use by another ratel-server"),
        "{error}"
    );
    // Review: the same file by another name (a symbolic link, a hard link) is the same lock.
    let ledger_file = dir.path().join("ledger.sqlite");
    std::os::unix::fs::symlink(&ledger_file, dir.path().join("alias.sqlite")).unwrap();
    std::fs::hard_link(&ledger_file, dir.path().join("hard.sqlite")).unwrap();
    for other in ["alias.sqlite", "hard.sqlite"] {
        let error = Ledger::open(&dir.path().join(other), "USD").unwrap_err();
        assert!(
            matches!(error, LedgerError::InUse { .. }),
            "{other}: {error}"
        );
    }
    drop(first);
    let error = reopen(|| Ledger::open(&dir.path().join("ledger.sqlite"), "EUR")).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("keeps balances in USD, but default_currency is EUR"),
        "{error}"
    );
    assert!(Ledger::open(&dir.path().join("ledger.sqlite"), "USD").is_ok());
}

#[test]
fn entries_cannot_be_updated_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger_in(dir.path());
    ledger.attach(&mut demo_accounts()).unwrap();
    drop(ledger);
    let connection = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    for statement in ["UPDATE entries SET amount = '1'", "DELETE FROM entries"] {
        let error = connection.execute(statement, []).unwrap_err().to_string();
        assert!(error.contains("append-only"), "{statement}: {error}");
    }
}

/// A repeat is confirmed by an index lookup, never a scan of the entries.
#[test]
fn finding_a_key_uses_the_unique_indexes() {
    let dir = tempfile::tempdir().unwrap();
    drop(ledger_in(dir.path()));
    let connection = rusqlite::Connection::open(dir.path().join("ledger.sqlite")).unwrap();
    for (query, index) in [
        (
            "SELECT seq FROM entries WHERE kind = 'call' AND reference <> '' AND reference = ?1",
            "entries_call_id",
        ),
        (
            "SELECT seq FROM entries WHERE kind = 'adjustment' AND reference <> '' \
             AND account = ?1 AND reference = ?2",
            "entries_adjustment_reference",
        ),
    ] {
        let plan: String = connection
            .query_row(
                &format!("EXPLAIN QUERY PLAN {query}"),
                rusqlite::params_from_iter(["x", "y"].iter().take(query.matches('?').count())),
                |row| row.get(3),
            )
            .unwrap();
        assert!(plan.contains(index), "{query}: {plan}");
    }
}

#[test]
fn an_unpriced_call_is_refused_unless_charged_sqlite() {
    an_unpriced_call_is_refused_unless_charged(&Backend::sqlite());
}

#[test]
fn an_unpriced_call_is_refused_unless_charged_postgres() {
    let Some(pg) = private_postgres() else { return };
    an_unpriced_call_is_refused_unless_charged(&Backend::postgres(&pg, "t"));
}

fn an_unpriced_call_is_refused_unless_charged(backend: &Backend<'_>) {
    let ledger = backend.open();
    let mut accounts = demo_accounts();
    ledger.attach(&mut accounts).unwrap();
    let charged = ledger.commit(vec![change(&accounts, "alice", "-1", Kind::Call, "c-9")]);
    let unpriced = |id: &str| Submission::Unpriced {
        key: Some(RefKey::Call(id.into())),
        account: None,
        error: "rate not found".into(),
    };
    let outcomes = ledger.commit(vec![unpriced("c-9"), unpriced("c-10")]);
    assert_eq!(outcomes[0], Applied::Duplicate(done(&charged[0]).clone()));
    assert_eq!(outcomes[1], Applied::Refused("rate not found".into()));
    // A balance that would need more than 38 digits is refused, not rounded.
    let huge = ledger.commit(vec![change(
        &accounts,
        "alice",
        "0.00000000000000000000000000000000000001",
        Kind::Adjustment,
        "",
    )]);
    assert!(
        matches!(&huge[0], Applied::Refused(r) if r.contains("38 digits")),
        "{huge:?}"
    );
    assert_eq!(
        accounts.user_by_username("alice").unwrap().balance(),
        d("59")
    );
}

/// Many threads charge the same accounts at once: every balance is its opening plus the
/// exact sum of the changes acknowledged, and each id was applied once.
#[test]
fn concurrent_writers_leave_exact_sums_sqlite() {
    concurrent_writers_leave_exact_sums(&Backend::sqlite());
}

#[test]
fn concurrent_writers_leave_exact_sums_postgres() {
    let Some(pg) = private_postgres() else { return };
    concurrent_writers_leave_exact_sums(&Backend::postgres(&pg, "t"));
}

fn concurrent_writers_leave_exact_sums(backend: &Backend<'_>) {
    let ledger = Arc::new(backend.open());
    let mut accounts = demo_accounts();
    ledger.attach(&mut accounts).unwrap();
    let accounts = Arc::new(accounts);
    let names = ["alice", "bob", "carol"];
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let (ledger, accounts) = (Arc::clone(&ledger), Arc::clone(&accounts));
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                for i in 0..50 {
                    let name = names[(t + i) % names.len()];
                    // Every id is sent by two threads: one of them charges it.
                    let id = format!("c-{}-{i}", t / 2);
                    let amount = format!("-0.{:06}", 1 + (t / 2) * 1000 + i);
                    let batch = vec![change(&accounts, name, &amount, Kind::Call, &id)];
                    if let Applied::Done(entry) = &ledger.commit(batch)[0] {
                        acknowledged.push((entry.account, entry.amount));
                    }
                }
                acknowledged
            })
        })
        .collect();
    let acknowledged: Vec<(Account, Decimal)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    assert_eq!(acknowledged.len(), 4 * 50, "each id charged exactly once");
    for name in names {
        let user = accounts.user_by_username(name).unwrap();
        let sum = acknowledged
            .iter()
            .filter(|(account, _)| *account == Account::User(user.id))
            .fold(user.csv_balance, |total, (_, amount)| {
                total.checked_add(*amount).unwrap()
            });
        assert_eq!(user.balance(), sum, "{name}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// One change of a generated run: which user, how much (in millionths), and its key.
    #[derive(Debug, Clone)]
    struct Step {
        user: usize,
        micros: i64,
        kind: Kind,
        /// A small reference space, so keys repeat.
        reference: Option<u8>,
        /// Sent in the same batch as the step before it.
        same_batch: bool,
    }

    fn step() -> impl Strategy<Value = Step> {
        (
            0usize..3,
            -5_000_000i64..5_000_000,
            prop_oneof![
                Just(Kind::Call),
                Just(Kind::Adjustment),
                Just(Kind::CardPayment)
            ],
            proptest::option::of(0u8..12),
            any::<bool>(),
        )
            .prop_map(|(user, micros, kind, reference, same_batch)| Step {
                user,
                micros,
                kind,
                reference,
                same_batch,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Whatever the changes, their batching and their repeats: each key is applied once,
        /// every balance is its opening plus the exact sum of the changes applied, and a
        /// restart rebuilds the same balances.
        #[test]
        fn balances_are_openings_plus_the_changes_applied(steps in proptest::collection::vec(step(), 1..60)) {
            let dir = tempfile::tempdir().unwrap();
            let names = ["alice", "bob", "carol"];
            let ledger = ledger_in(dir.path());
            let mut accounts = demo_accounts();
            ledger.attach(&mut accounts).unwrap();
            let mut batches: Vec<Vec<Submission>> = Vec::new();
            for step in &steps {
                let reference = step.reference.map(|r| format!("r{r}")).unwrap_or_default();
                let amount = Decimal::new(step.micros.into(), 6).to_string();
                let submission = change(&accounts, names[step.user], &amount, step.kind, &reference);
                match batches.last_mut() {
                    Some(batch) if step.same_batch => batch.push(submission),
                    _ => batches.push(vec![submission]),
                }
            }
            let mut applied: Vec<Entry> = Vec::new();
            for batch in batches {
                let keys: Vec<Option<(RefKey, Account)>> = batch
                    .iter()
                    .map(|submission| match submission {
                        Submission::Change(c) => c.key().map(|key| (key, c.account)),
                        Submission::Unpriced { .. } | Submission::Session(_) => None,
                    })
                    .collect();
                for (outcome, key) in ledger.commit(batch).into_iter().zip(keys) {
                    match outcome {
                        Applied::Done(entry) => applied.push(entry),
                        Applied::Duplicate(_) => {}
                        // A call id applied before to another payer (issue 16, defect 5).
                        Applied::Refused(reason) if reason == OTHER_PAYER => {
                            let (key, payer) = key.expect("a refused repeat has a key");
                            let elsewhere = applied.iter().any(|entry| {
                                RefKey::of(entry.kind, entry.account, &entry.reference)
                                    == Some(key.clone())
                                    && entry.account != payer
                            });
                            prop_assert!(elsewhere, "refused, but not applied to another payer");
                        }
                        other => prop_assert!(false, "unexpected {other:?}"),
                    }
                }
            }
            let mut keys = std::collections::HashSet::new();
            for entry in &applied {
                if let Some(key) = RefKey::of(entry.kind, entry.account, &entry.reference) {
                    prop_assert!(keys.insert(key), "a key applied twice");
                }
            }
            let expected = |accounts: &Accounts, name: &str| {
                let user = accounts.user_by_username(name).unwrap();
                applied
                    .iter()
                    .filter(|e| e.account == Account::User(user.id))
                    .fold(user.csv_balance, |sum, e| sum.checked_add(e.amount).unwrap())
            };
            for name in names {
                prop_assert_eq!(accounts.user_by_username(name).unwrap().balance(), expected(&accounts, name));
            }
            drop(ledger);
            let ledger = ledger_in(dir.path());
            let mut restarted = demo_accounts();
            ledger.attach(&mut restarted).unwrap();
            for name in names {
                prop_assert_eq!(restarted.user_by_username(name).unwrap().balance(), expected(&restarted, name));
            }
        }
    }
}

/// A store whose commits fail (a full disk), or panic (a bug): for what the ledger reports.
struct BrokenStore {
    panics: bool,
}

impl Store for BrokenStore {
    fn append(
        &mut self,
        _: &mut [Entry],
        _: &[session::SessionWrite],
    ) -> Result<(), store::AppendError> {
        assert!(!self.panics, "a bug in the store");
        Err(store::AppendError::Failed("disk full".into()))
    }

    fn find(&mut self, _: &RefKey) -> Result<Option<Entry>, store::StoreError> {
        Ok(None)
    }
}

#[test]
fn failed_commits_apply_nothing_and_are_counted_and_a_dead_committer_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let accounts = demo_accounts();
    let start = |panics| {
        Ledger::start(
            &dir.path().join("broken"),
            BrokenStore { panics },
            store::Loaded::default(),
            references::References::new(),
            Arc::new(Stats::default()),
            Options::default().log,
        )
        .unwrap()
    };
    let ledger = start(false);
    for _ in 0..2 {
        let outcomes = ledger.commit(vec![change(&accounts, "alice", "-1", Kind::Call, "c-1")]);
        assert!(
            matches!(&outcomes[0], Applied::Failed(why) if why.contains("disk full")),
            "{outcomes:?}"
        );
    }
    assert_eq!(
        accounts.user_by_username("alice").unwrap().balance(),
        d("60")
    );
    let count = |n: &std::sync::atomic::AtomicU64| n.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        (
            count(&ledger.stats().failures),
            count(&ledger.stats().failing)
        ),
        (2, 2)
    );
    assert!(ledger.is_running());

    let ledger = start(true);
    let outcomes = ledger.commit(vec![change(&accounts, "alice", "-1", Kind::Call, "c-1")]);
    assert!(
        matches!(&outcomes[0], Applied::Failed(why) if why.contains("the committer has stopped")),
        "{outcomes:?}"
    );
    while ledger.is_running() {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Review: once the committer is gone, a change fails at once (it used to wait forever
    // in the inbox nobody took from).
    let outcomes = ledger.commit(vec![change(&accounts, "alice", "-1", Kind::Call, "c-2")]);
    assert!(
        matches!(&outcomes[0], Applied::Failed(why) if why.contains("the committer has stopped")),
        "{outcomes:?}"
    );
    assert_eq!(
        accounts.user_by_username("alice").unwrap().balance(),
        d("60")
    );
}

/// A ledger whose log lines are kept, to be read by the test.
fn watched_ledger(path: &std::path::Path) -> (Ledger, Arc<std::sync::Mutex<Vec<String>>>) {
    watched_ledger_warning_at(path, WAL_WARN_BYTES)
}

/// [`watched_ledger`], saying so when its write-ahead log passes `wal_warn_bytes`.
fn watched_ledger_warning_at(
    path: &std::path::Path,
    wal_warn_bytes: u64,
) -> (Ledger, Arc<std::sync::Mutex<Vec<String>>>) {
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = Arc::clone(&lines);
    let options = Options {
        create: true,
        log: Log::new(move |level, message| {
            kept.lock().unwrap().push(format!("{level:?} {message}"));
        }),
        wal_warn_bytes,
    };
    (Ledger::open_with(path, "USD", options).unwrap(), lines)
}

/// The entries and alice's balance in a ledger file, read from that file alone (its log,
/// if any, ignored): what a restart would find once the log is gone.
fn file_holds(path: &std::path::Path) -> (i64, String) {
    let uri = format!("file:{}?immutable=1", path.display());
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let connection = rusqlite::Connection::open_with_flags(uri, flags).unwrap();
    let entries = connection
        .query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .unwrap();
    let balance = connection
        .query_row(
            "SELECT balance FROM accounts WHERE account = 'user:3'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    (entries, balance)
}

/// Issue 16, defect 2: after `rm ledger.sqlite` (or its `-wal`) the server went on
/// acknowledging changes into a file no restart would see. Now the next commit, or the
/// idle committer's look within 10 ms, finds the file gone or replaced: every change is
/// refused from then on, the reason is logged and kept for `/healthz`, and everything
/// acknowledged before is rescued (into the ledger file when only its log went, and always
/// into a complete copy beside it).
#[test]
fn a_ledger_file_removed_or_replaced_refuses_changes_and_is_rescued() {
    for how in [
        "remove",
        "replace",
        "remove the log",
        "replace the log",
        "remove the link",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite");
        if how == "remove the link" {
            // The configured path is a symbolic link to the ledger.
            std::fs::create_dir(dir.path().join("real")).unwrap();
            drop(ledger_in(&dir.path().join("real")));
            std::os::unix::fs::symlink(dir.path().join("real/ledger.sqlite"), &path).unwrap();
        }
        let (ledger, lines) = watched_ledger(&path);
        let mut accounts = demo_accounts();
        let opened = ledger.attach(&mut accounts).unwrap().opened as i64;
        let wal = file_watch::wal_path(&std::fs::canonicalize(&path).unwrap());
        let old_wal = dir.path().join("old-wal");
        for i in 0..3 {
            if i == 1 {
                // An older copy of the log, for "replace the log".
                std::fs::copy(&wal, &old_wal).unwrap();
            }
            let charged = ledger.commit(vec![change(
                &accounts,
                "alice",
                "-1.5",
                Kind::Call,
                &format!("c-{i}"),
            )]);
            done(&charged[0]);
        }
        let alice = accounts.user_by_username("alice").unwrap();
        assert_eq!(alice.balance(), d("55.5"));
        let expect = match how {
            "remove" => {
                std::fs::remove_file(&path).unwrap();
                "was removed"
            }
            "replace" => {
                let other = dir.path().join("other.sqlite");
                std::fs::write(&other, b"not this ledger").unwrap();
                std::fs::rename(&other, &path).unwrap();
                "was replaced by another file"
            }
            "replace the log" => {
                std::fs::rename(&old_wal, &wal).unwrap();
                "write-ahead log"
            }
            "remove the link" => {
                std::fs::remove_file(&path).unwrap();
                "was removed"
            }
            _ => {
                std::fs::remove_file(&wal).unwrap();
                // Found by the idle committer's look, without any commit.
                let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
                while ledger.stats().unusable().is_none() && std::time::Instant::now() < until {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                "write-ahead log"
            }
        };
        let refused = ledger.commit(vec![change(&accounts, "alice", "-1", Kind::Call, "c-9")]);
        match &refused[0] {
            Applied::Failed(reason) => assert!(reason.contains(expect), "{how}: {reason}"),
            other => panic!("{how}: {other:?}"),
        }
        let unusable = ledger.stats().unusable().unwrap_or_default();
        assert!(unusable.contains(expect), "{how}: {unusable}");
        assert!(
            unusable.contains("refused until the server is restarted"),
            "{unusable}"
        );
        assert_eq!(alice.balance(), d("55.5"), "{how}: nothing more applied");
        // Still refused later, and the failure was logged once, with the rescue.
        let again = ledger.commit(vec![change(&accounts, "alice", "5", Kind::Adjustment, "")]);
        assert!(matches!(&again[0], Applied::Failed(_)), "{how}");
        let logged = lines.lock().unwrap().clone();
        let found: Vec<&String> = logged
            .iter()
            .filter(|l| {
                l.contains(expect)
                    && l.contains("while the server runs")
                    && !l.contains("a commit failed")
            })
            .collect();
        assert_eq!(found.len(), 1, "{how}: {logged:?}");
        assert!(found[0].starts_with("Error ledger: "), "{how}: {logged:?}");
        // The refused commits are logged once for the run, not once each.
        let failed = logged
            .iter()
            .filter(|l| l.contains("a commit failed"))
            .count();
        assert!(failed <= 1, "{how}: {logged:?}");
        // A complete copy of everything acknowledged lies beside the ledger, unless the
        // ledger file itself holds it all (only its log was removed).
        let copies = file_watch::rescued_copies(&path);
        if how.ends_with("the log") {
            assert!(copies.is_empty(), "{logged:?}");
            // Review: an older log put in place was replayed over the ledger at the next
            // open, taking back acknowledged changes. It is moved aside.
            if how == "replace the log" {
                assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
                assert!(
                    logged.iter().any(|l| l.contains("was moved to")),
                    "{logged:?}"
                );
            }
            // The ledger file itself holds every commit: a restart needs nothing more.
            assert_eq!(file_holds(&path), (opened + 3, "55.5".into()));
            drop(ledger);
        } else {
            assert_eq!(copies.len(), 1, "{how}: {logged:?}");
            assert_eq!(file_holds(&copies[0]), (opened + 3, "55.5".into()), "{how}");
            let named = copies[0].display().to_string();
            assert!(
                logged.iter().any(|l| l.contains(&named)),
                "{how}: {logged:?}"
            );
            // No ledger opens beside it until someone decides; in its place, it is the
            // ledger as it was acknowledged.
            drop(ledger);
            let error = Ledger::open(&path, "USD").unwrap_err();
            assert!(
                matches!(error, LedgerError::Rescued { .. }),
                "{how}: {error}"
            );
            std::fs::rename(&copies[0], &path).unwrap();
        }
        let reopened = ledger_in(dir.path());
        let mut accounts = demo_accounts();
        reopened.attach(&mut accounts).unwrap();
        let alice = accounts.user_by_username("alice").unwrap();
        assert_eq!(alice.balance(), d("55.5"), "{how}");
    }
}

/// Issue 16, defect 2: a missing ledger is created (and logged) only when allowed, and never
/// when a rescued copy of it says it was lost.
#[test]
fn a_missing_ledger_is_created_only_when_allowed_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let refuse = Options {
        create: false,
        ..Options::default()
    };
    let error = Ledger::open_with(&path, "USD", refuse.clone()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "ledger {} does not exist (or is an empty file), and [ledger] create = false: \
             restore it from a backup, or set create = true to start a new, empty ledger",
            path.display()
        )
    );
    assert!(!path.exists(), "nothing is created");
    // Review: an empty file (a rescue cut short, a `touch`) was taken for an empty database.
    std::fs::write(&path, b"").unwrap();
    assert!(matches!(
        Ledger::open_with(&path, "USD", refuse.clone()),
        Err(LedgerError::Missing(_))
    ));
    std::fs::remove_file(&path).unwrap();
    let (ledger, lines) = watched_ledger(&path);
    assert_eq!(
        lines.lock().unwrap().clone(),
        [format!(
            "Warn ledger {}: created a new, empty ledger; every balance starts from the files \
             (set [ledger] create = false to refuse a missing ledger)",
            path.display()
        )]
    );
    drop(ledger);
    assert!(
        reopen(|| Ledger::open_with(&path, "USD", refuse.clone())).is_ok(),
        "it exists now"
    );
    let copy = dir.path().join("ledger.sqlite.rescued-20261206T103005Z");
    std::fs::write(&copy, b"").unwrap();
    let error = Ledger::open(&path, "USD").unwrap_err();
    assert!(matches!(error, LedgerError::Rescued { .. }), "{error}");
    std::fs::remove_file(&path).unwrap();
    assert!(
        error.to_string().contains(&copy.display().to_string()),
        "{error}"
    );
    // Missing and with a rescued copy beside it: still refused, and nothing is created.
    assert!(matches!(
        Ledger::open(&path, "USD"),
        Err(LedgerError::Rescued { .. })
    ));
    assert!(!path.exists());
    // A free check creates nothing and passes; a held ledger is refused.
    assert!(Ledger::check_free(&path).is_ok() && !path.exists());
    std::fs::remove_file(&copy).unwrap();
    let held = ledger_in(dir.path());
    assert!(matches!(
        Ledger::check_free(&path),
        Err(LedgerError::InUse { .. })
    ));
    drop(held);
    // Free once dropped. A test running beside this one that starts a process holds a copy
    // of every descriptor, the ledger's locked one too, between its fork and its exec
    // (microseconds): the check is retried for a second before it counts as held.
    let freed = (0..100).any(|_| match Ledger::check_free(&path) {
        Err(LedgerError::InUse { .. }) => {
            std::thread::sleep(std::time::Duration::from_millis(10));
            false
        }
        other => other.map(|()| true).unwrap(),
    });
    assert!(freed, "the ledger is still held after its drop");
}

/// Issue 16, defect 7: an `sqlite3` session left open on the ledger keeps the write-ahead log
/// from being checkpointed, and it grew without bound (644 MiB in 40 s) unseen. Its size is
/// measured for `/metrics`, and past a threshold the log says why it grows.
#[test]
fn a_reader_holding_the_log_open_is_measured_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let (ledger, lines) = watched_ledger_warning_at(&path, 1 << 20);
    let mut accounts = demo_accounts();
    ledger.attach(&mut accounts).unwrap();
    // An operator's session in the middle of a read: checkpoints cannot pass its snapshot.
    let reader = rusqlite::Connection::open(&path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM entries", [], |row| row.get(0))
        .unwrap();
    for i in 0..400 {
        done(
            &ledger.commit(vec![change(
                &accounts,
                "alice",
                "-0.01",
                Kind::Call,
                &format!("w-{i}"),
            )])[0],
        );
    }
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !lines
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("cannot be checkpointed"))
        && std::time::Instant::now() < until
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let bytes = ledger
        .stats()
        .wal_bytes
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(bytes > 1 << 20, "{bytes}");
    let logged = lines.lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|l| l.starts_with("Warn ledger: the write-ahead log is ")
                && l.contains("a reader holds an old snapshot open")),
        "{logged:?}"
    );
    reader.execute_batch("COMMIT").unwrap();
}
