use super::*;

fn d(text: &str) -> Decimal {
    Decimal::parse(text, true).unwrap()
}

fn per_minute(rate: &str) -> Terms {
    Terms {
        rate: d(rate),
        connection_fee: Decimal::ZERO,
        increment_s: 1,
        min_time_s: 0,
        first_interval_s: 0,
    }
}

const SETTINGS: SessionSettings = SessionSettings {
    grant_s: 300,
    grace_s: 60,
    max_open: 10,
    max_call_seconds: 7200,
};

#[test]
fn grants_are_cut_by_money_by_the_grant_and_by_the_longest_call() {
    let terms = per_minute("0.6"); // 0.01 a second
    let one = Decimal::new(1, 0);
    // 10.00 pays for 300 s (3.00): a full grant, not final.
    let full = grant(&terms, one, d("10"), Some(d("0")), d("0"), 0, SETTINGS).unwrap();
    assert_eq!(
        (full.granted_s, full.final_grant, full.reserved.to_string()),
        (300, false, "3".into())
    );
    // Others hold 8.50: 1.50 left pays 150 s, final.
    let cut = grant(&terms, one, d("10"), Some(d("0")), d("8.5"), 0, SETTINGS).unwrap();
    assert_eq!((cut.granted_s, cut.final_grant), (150, true));
    // Nothing left: refused, and why.
    assert_eq!(
        grant(&terms, one, d("10"), Some(d("0")), d("10"), 0, SETTINGS),
        Err(RESERVED_BY_CALLS)
    );
    assert_eq!(
        grant(&terms, one, d("0.001"), Some(d("0")), d("0"), 0, SETTINGS),
        Err(INSUFFICIENT_BALANCE)
    );
    // Credit counts; an update prices used + more; the longest call caps it.
    let credit = grant(&terms, one, d("0"), Some(d("1")), d("0"), 0, SETTINGS).unwrap();
    assert_eq!(credit.granted_s, 100);
    let update = grant(&terms, one, d("100"), Some(d("0")), d("0"), 7000, SETTINGS).unwrap();
    assert_eq!(
        (
            update.granted_s,
            update.final_grant,
            update.reserved.to_string()
        ),
        (200, true, "72".into())
    );
    // A call already as long as the longest call gets nothing more, and is told why.
    assert_eq!(
        grant(&terms, one, d("100"), Some(d("0")), d("0"), 7200, SETTINGS),
        Err(LONGEST_CALL_REACHED)
    );
    // grant_s 0: one grant for the whole call, final by definition.
    let whole = SessionSettings {
        grant_s: 0,
        ..SETTINGS
    };
    let unlimited = grant(&terms, one, d("0"), None, d("5"), 0, whole).unwrap();
    assert_eq!((unlimited.granted_s, unlimited.final_grant), (7200, true));
}

#[test]
fn the_book_keeps_each_payer_s_reservations_and_the_expiry_order() {
    let session = |id: &str, account: Account, reserved: &str, expires: i64| OpenSession {
        id: id.into(),
        account,
        number: "370".into(),
        start: Timestamp(0),
        prefix: "370".into(),
        destination: String::new(),
        currency: "USD".into(),
        terms: per_minute("1"),
        exchange_rate: Decimal::new(1, 0),
        limit: Some(Decimal::ZERO),
        used_s: 0,
        granted_s: 60,
        final_grant: false,
        reserved: d(reserved),
        expires: Timestamp(expires),
    };
    let (alice, bob) = (Account::User(1), Account::Card(2));
    let mut book = SessionBook::default();
    book.put(session("a", alice, "1.5", 30));
    book.put(session("b", alice, "2", 10));
    book.put(session("c", bob, "4", 20));
    assert_eq!(book.reserved(alice), d("3.5"));
    assert_eq!(book.due(Timestamp(20), 10), ["b", "c"]);
    book.put(session("b", alice, "0.5", 40));
    assert_eq!((book.reserved(alice), book.len()), (d("2"), 3));
    assert_eq!(book.remove("a").map(|s| s.id), Some("a".into()));
    assert_eq!(book.reserved(alice), d("0.5"));
    assert_eq!(book.remove("a"), None);
    assert_eq!(book.due(Timestamp(100), 10), ["c", "b"]);
}

mod through_the_ledger {
    //! Sessions through the real ledger (SQLite file, committer thread), from several
    //! threads at once.

    use std::collections::HashMap;
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::super::super::test_backend::{private_postgres, session_start, Backend};
    use super::super::super::{Applied, Commit, SessionOp, SessionOutcome, Submission};
    use super::super::*;
    use crate::accounts::Accounts;
    use crate::testing::demo_accounts;
    use proptest::test_runner::TestCaseError;

    const SETTINGS: SessionSettings = SessionSettings {
        grant_s: 120,
        grace_s: 1_000_000,
        max_open: 1_000,
        max_call_seconds: 7200,
    };

    /// The payers: alice (60, no credit), dave (15.5, no credit), card 1111111120
    /// (25, no minimum).
    fn payer(accounts: &Accounts, which: usize) -> (Account, Arc<BalanceCell>) {
        match which {
            0 | 1 => {
                let user = accounts.user_by_username(["alice", "dave"][which]).unwrap();
                (Account::User(user.id), Arc::clone(&user.live))
            }
            _ => {
                let card = accounts.card_by_number("1111111120").unwrap();
                (Account::Card(card.id), Arc::clone(&card.live))
            }
        }
    }

    fn start(accounts: &Accounts, which: usize, id: &str) -> Submission {
        let (account, cell) = payer(accounts, which);
        // 1.5 a minute and a fee: a grant of 120 s holds 3.05.
        let terms = Terms {
            rate: Decimal::new(15, 1),
            connection_fee: Decimal::new(5, 2),
            increment_s: 6,
            min_time_s: 0,
            first_interval_s: 0,
        };
        session_start(account, &cell, id.into(), terms, SETTINGS)
    }

    /// A step's outcome, and the (balance, reserved) of the payers holding more than their
    /// balance just after it (none, if all is well).
    type Stepped = (Applied, Vec<(Decimal, Decimal)>);

    #[derive(Debug, Clone)]
    enum Step {
        Start { payer: usize, id: usize },
        Update { id: usize, used_s: u32 },
        End { id: usize, billsec: i64 },
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            3 => (0usize..3, 0usize..12).prop_map(|(payer, id)| Step::Start { payer, id }),
            1 => (0usize..12, 0u32..400).prop_map(|(id, used_s)| Step::Update { id, used_s }),
            2 => (0usize..12, 0i64..=600).prop_map(|(id, billsec)| Step::End { id, billsec }),
        ]
    }

    /// Three threads' steps, and whether every call is short.
    fn case() -> impl Strategy<Value = (Vec<Vec<Step>>, bool)> {
        (
            proptest::collection::vec(proptest::collection::vec(step(), 1..25), 3),
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        #[test]
        fn reservations_never_exceed_the_money_and_every_charge_is_counted_once_sqlite(
            (threads, short_calls) in case(),
        ) {
            reservations_never_exceed_the_money(&Backend::sqlite(), threads, short_calls)?;
        }
    }

    /// The same on PostgreSQL, a new database a case.
    #[test]
    fn reservations_never_exceed_the_money_and_every_charge_is_counted_once_postgres() {
        let Some(pg) = private_postgres() else { return };
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(8));
        let cases = std::cell::Cell::new(0);
        runner
            .run(&case(), |(threads, short_calls)| {
                cases.set(cases.get() + 1);
                let backend = Backend::postgres(&pg, &format!("case{}", cases.get()));
                reservations_never_exceed_the_money(&backend, threads, short_calls)
            })
            .unwrap();
    }

    /// Random starts, updates and ends from three threads at once on three payers:
    /// every grant leaves what its payer may spend at zero or more (the money held by
    /// its open sessions never exceeds what it has), every id is charged at most once,
    /// and every balance is its opening plus the exact sum of the charges acknowledged,
    /// in memory and in the store after a restart.
    fn reservations_never_exceed_the_money(
        backend: &Backend<'_>,
        threads: Vec<Vec<Step>>,
        short_calls: bool,
    ) -> Result<(), TestCaseError> {
        {
            // With short calls every call ends within its grant (a grant is at least 1 s):
            // then no payer may ever hold more than it has. A call that ran past its grant
            // (the long calls) is charged in full and may rightly leave the other calls of
            // its payer holding more than is left.
            let threads: Vec<Vec<Step>> = threads
                .into_iter()
                .map(|steps| {
                    steps
                        .into_iter()
                        .map(|step| match step {
                            Step::End { id, billsec } if short_calls => Step::End {
                                id,
                                billsec: billsec.min(1),
                            },
                            other => other,
                        })
                        .collect()
                })
                .collect();
            let mut accounts = demo_accounts();
            let ledger = backend.open();
            ledger.attach(&mut accounts).unwrap();
            let openings: Vec<Decimal> = (0..3).map(|p| payer(&accounts, p).1.get()).collect();
            let outcomes: Vec<Vec<Stepped>> = std::thread::scope(|scope| {
                let handles: Vec<_> = threads
                    .iter()
                    .map(|steps| {
                        let (ledger, accounts) = (&ledger, &accounts);
                        scope.spawn(move || {
                            steps
                                .iter()
                                .map(|step| {
                                    let submission = match step {
                                        Step::Start { payer, id } => {
                                            start(accounts, *payer, &format!("s-{id}"))
                                        }
                                        Step::Update { id, used_s } => {
                                            Submission::Session(SessionOp::Update {
                                                id: format!("s-{id}"),
                                                used_s: *used_s,
                                                settings: SETTINGS,
                                            })
                                        }
                                        Step::End { id, billsec } => {
                                            Submission::Session(SessionOp::End {
                                                id: format!("s-{id}"),
                                                billsec: *billsec,
                                                fallback: None,
                                            })
                                        }
                                    };
                                    let outcome = ledger.commit(vec![submission]).remove(0);
                                    // What the payers hold never exceeds what they have,
                                    // read at any moment (a balance and its reservations
                                    // are set together).
                                    let held =
                                        (0..3).map(|p| payer(accounts, p).1.get_with_reserved());
                                    let over: Vec<_> = held
                                        .filter(|(balance, reserved)| reserved > balance)
                                        .collect();
                                    (outcome, over)
                                })
                                .collect()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let mut charged: HashMap<String, (Account, Decimal)> = HashMap::new();
            for (outcome, over) in outcomes.iter().flatten() {
                prop_assert!(
                    !short_calls || over.is_empty(),
                    "held more than the balance: {over:?}"
                );
                match outcome {
                    // A fresh grant never holds more than the payer has (an answer again may:
                    // a call that ran past its grant has since been charged in full).
                    Applied::Session(SessionOutcome::Granted {
                        available,
                        session,
                        again: false,
                    }) => {
                        let available = available.unwrap();
                        prop_assert!(available >= Decimal::ZERO, "{session:?} left {available}");
                        prop_assert!(session.granted_s >= 1);
                    }
                    Applied::Done(entry) => {
                        let first =
                            charged.insert(entry.reference.clone(), (entry.account, entry.amount));
                        prop_assert!(first.is_none(), "{} charged twice", entry.reference);
                    }
                    Applied::Session(_) | Applied::Duplicate(_) | Applied::Refused(_) => {}
                    Applied::Failed(reason) => prop_assert!(false, "failed: {reason}"),
                }
            }
            let expected = |p: usize| {
                let account = payer(&accounts, p).0;
                charged
                    .values()
                    .filter(|(owner, _)| *owner == account)
                    .fold(openings[p], |sum, (_, amount)| {
                        sum.checked_add(*amount).unwrap()
                    })
            };
            for p in 0..3 {
                prop_assert_eq!(payer(&accounts, p).1.get(), expected(p));
            }
            // The sessions still open hold money; ended, they hold none.
            for id in 0..12 {
                ledger.commit(vec![Submission::Session(SessionOp::End {
                    id: format!("s-{id}"),
                    billsec: 0,
                    fallback: None,
                })]);
            }
            for p in 0..3 {
                prop_assert_eq!(payer(&accounts, p).1.get_with_reserved().1, Decimal::ZERO);
            }
            let expected: Vec<Decimal> = (0..3).map(|p| payer(&accounts, p).1.get()).collect();
            drop(ledger);
            let mut reopened = demo_accounts();
            let ledger = backend.open();
            ledger.attach(&mut reopened).unwrap();
            for (p, expected) in expected.iter().enumerate() {
                prop_assert_eq!(payer(&reopened, p).1.get(), *expected);
            }
            let calls = backend.count("SELECT count(*) FROM entries WHERE kind = 'call'");
            let distinct =
                backend.count("SELECT count(DISTINCT reference) FROM entries WHERE kind = 'call'");
            let open = backend.count("SELECT count(*) FROM sessions");
            prop_assert_eq!((calls, open), (distinct, 0));
        }
        Ok(())
    }

    /// A session left open survives a restart of the ledger: still open, still holding its
    /// money, and it still expires (charged every second granted) once its time has passed.
    #[test]
    fn open_sessions_survive_a_restart_and_still_expire_sqlite() {
        open_sessions_survive_a_restart_and_still_expire(&Backend::sqlite());
    }

    #[test]
    fn open_sessions_survive_a_restart_and_still_expire_postgres() {
        let Some(pg) = private_postgres() else { return };
        open_sessions_survive_a_restart_and_still_expire(&Backend::postgres(&pg, "t"));
    }

    fn open_sessions_survive_a_restart_and_still_expire(backend: &Backend<'_>) {
        let mut accounts = demo_accounts();
        let ledger = backend.open();
        ledger.attach(&mut accounts).unwrap();
        let quick = SessionSettings {
            grant_s: 2,
            grace_s: 1,
            ..SETTINGS
        };
        let mut submission = start(&accounts, 0, "short");
        if let Submission::Session(SessionOp::Start { settings, .. }) = &mut submission {
            *settings = quick;
        }
        let granted = ledger.commit(vec![submission]).remove(0);
        assert!(
            matches!(&granted, Applied::Session(SessionOutcome::Granted { session, .. }) if session.granted_s == 2),
            "{granted:?}"
        );
        drop(ledger);
        let mut reopened = demo_accounts();
        let ledger = backend.open();
        ledger.attach(&mut reopened).unwrap();
        let alice = payer(&reopened, 0).1;
        // 2 s at 1.5/min rounded up to 6 s, plus 0.05: 0.2.
        assert_eq!(
            alice.get_with_reserved(),
            (Decimal::new(60, 0), Decimal::new(2, 1))
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while alice.get_with_reserved().1 != Decimal::ZERO {
            assert!(std::time::Instant::now() < deadline, "never expired");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(alice.get(), Decimal::new(598, 1));
        assert_eq!(
            ledger
                .stats()
                .sessions_expired
                .load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        // Its end, late: the expiry's charge, as a duplicate.
        let late = ledger.commit(vec![Submission::Session(SessionOp::End {
            id: "short".into(),
            billsec: 1,
            fallback: None,
        })]);
        assert!(
            matches!(&late[0], Applied::Duplicate(entry) if entry.amount == Decimal::new(-2, 1)),
            "{late:?}"
        );
    }
}
