use super::*;
use crate::ledger::NoLedger;
use crate::mor_api::testing::{
    assert_payment_checks, body, live, payments, status, with_signed_request,
};
use crate::mor_api::Method;

/// Runs the endpoint with `pairs` (signed with `key` over `user_id` and `balance` when
/// `key` is given) and returns the body.
fn call_with(
    accounts: &Accounts,
    ledger: &dyn Commit,
    settings: &ApiSettings,
    method: Method,
    pairs: &[(&str, &str)],
    key: Option<&str>,
) -> String {
    let result = with_signed_request(pairs, &["user_id", "balance"], key, method, |request| {
        run(accounts, settings, request, ledger)
    });
    body(|out| write(out, &result)).0
}

fn success(username: &str, id: u64, balance: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <page>\n    \
             <status>User balance updated</status>\n    <user>\n      \
             <username>{username}</username>\n      <id>{id}</id>\n      \
             <balance>{balance}</balance>\n    </user>\n  </page>\n</page>\n"
    )
}

fn page(error: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <error>{error}</error>\n</page>\n"
    )
}

#[test]
fn a_top_up_is_applied_durably_and_answers_the_new_balance() {
    let dir = tempfile::tempdir().unwrap();
    let (accounts, ledger) = live(dir.path());
    let alice = [("u", "admin"), ("user_id", "3"), ("balance", "10")];
    assert_eq!(
        call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Post,
            &alice,
            Some("secret")
        ),
        success("alice", 3, "70.0")
    );
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance(), Decimal::parse("70", false).unwrap());
    // A debit, exact to the last place, and bob through his reseller's own key.
    let bob = [("u", "reseller1"), ("user_id", "4"), ("balance", "-0.66")];
    assert_eq!(
        call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Get,
            &bob,
            Some("resellerkey")
        ),
        success("bob", 4, "-13.0")
    );
    // Reopened, the ledger rebuilds the same balances.
    drop(ledger);
    let (reopened, _ledger) = live(dir.path());
    let balance = |name| {
        reopened
            .user_by_username(name)
            .unwrap()
            .balance()
            .to_string()
    };
    assert_eq!(
        (balance("alice"), balance("bob")),
        ("70".into(), "-13".into())
    );
}

#[test]
fn a_repeated_reference_is_applied_once_and_answers_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let (accounts, ledger) = live(dir.path());
    let settings = payments();
    let top_up = [
        ("u", "admin"),
        ("user_id", "3"),
        ("balance", "5.5"),
        ("reference", "pay-1"),
    ];
    let call = |pairs: &[(&str, &str)]| {
        call_with(
            &accounts,
            &ledger,
            &settings,
            Method::Post,
            pairs,
            Some("secret"),
        )
    };
    let first = call(&top_up);
    assert_eq!(first, success("alice", 3, "65.5"));
    // Another change moves the balance; the repeat still answers the first page.
    assert_eq!(
        call(&[("u", "admin"), ("user_id", "3"), ("balance", "1")]),
        success("alice", 3, "66.5")
    );
    assert_eq!(call(&top_up), first);
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance().to_string(), "66.5");
    // The same reference on another user is another key; on the same user with another
    // amount it is still the change already made.
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("user_id", "6"),
            ("balance", "5.5"),
            ("reference", "pay-1")
        ]),
        success("dave", 6, "21.0")
    );
    assert_eq!(
        call(&[
            ("u", "admin"),
            ("user_id", "3"),
            ("balance", "100"),
            ("reference", "pay-1")
        ]),
        first
    );
    assert_eq!(alice.balance().to_string(), "66.5");
    // After a restart the reference is still known.
    drop(ledger);
    let (accounts, ledger) = live(dir.path());
    let again = call_with(
        &accounts,
        &ledger,
        &settings,
        Method::Post,
        &top_up,
        Some("secret"),
    );
    assert_eq!(again, first);
    assert_eq!(
        accounts
            .user_by_username("alice")
            .unwrap()
            .balance()
            .to_string(),
        "66.5"
    );
}

#[test]
fn errors_follow_the_documented_order() {
    let dir = tempfile::tempdir().unwrap();
    let (accounts, ledger) = live(dir.path());
    let good = [("u", "admin"), ("user_id", "3"), ("balance", "10")];
    let call = |settings: &ApiSettings, method, pairs: &[(&str, &str)], key: Option<&str>| {
        call_with(&accounts, &ledger, settings, method, pairs, key)
    };
    assert_payment_checks(call, &good, &page("Bad login"), &page("Feature disabled"));
    // alice is the admin's: the reseller's key does not sign for the admin.
    assert_eq!(
        call(&payments(), Method::Post, &good, Some("resellerkey")),
        status("Incorrect hash")
    );
    for (caller, user_id, key) in [
        ("admin", "4", "secret"),          // bob is reseller1's
        ("reseller1", "3", "resellerkey"), // alice is the admin's
        ("alice", "3", "secret"),          // a user owns nobody, not even itself
        ("admin", "99", "secret"),
        ("admin", "x", "secret"),
        ("admin", "+3", "secret"),
        ("admin", " 3", "secret"),
        // Issue 16, defect 7: MOR's hash joins the values with nothing between them,
        // so a signed "user 0, balance 310" would also sign "user 03, balance 10".
        ("admin", "03", "secret"),
        ("admin", "00", "secret"),
        ("admin", "", "secret"),
    ] {
        assert_eq!(
            call(
                &payments(),
                Method::Post,
                &[("u", caller), ("user_id", user_id), ("balance", "1")],
                Some(key)
            ),
            page("User was not found"),
            "{caller} {user_id}"
        );
    }
    let too_long = "r".repeat(MAX_REFERENCE + 1);
    for pairs in [
        &[("u", "admin"), ("user_id", "3")][..],
        &[("u", "admin"), ("user_id", "3"), ("balance", "")],
        &[("u", "admin"), ("user_id", "3"), ("balance", "ten")],
        &[("u", "admin"), ("user_id", "3"), ("balance", "1e3")],
        &[("u", "admin"), ("user_id", "3"), ("balance", "1,5")],
        &[("u", "admin"), ("user_id", "3"), ("balance", "+5")],
        &[
            ("u", "admin"),
            ("user_id", "3"),
            ("balance", "123456789012345678901234567890123456789"),
        ],
        &[
            ("u", "admin"),
            ("user_id", "3"),
            ("balance", "1"),
            ("reference", &too_long),
        ],
        // The new balance would need more than 38 digits: refused by the ledger.
        &[
            ("u", "admin"),
            ("user_id", "3"),
            ("balance", "99999999999999999999999999999999999999"),
        ],
    ] {
        assert_eq!(
            call(&payments(), Method::Post, pairs, Some("secret")),
            page("User balance not updeted"),
            "{pairs:?}"
        );
    }
    // Nothing of the above changed alice's balance.
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance().to_string(), "60");
    // With the hash check off anything signs; a store that fails applies nothing.
    let unchecked = ApiSettings {
        disable_hash_check: true,
        ..payments()
    };
    assert_eq!(
        call_with(&accounts, &NoLedger, &unchecked, Method::Post, &good, None),
        page("User balance not updeted")
    );
    assert_eq!(
        call(&unchecked, Method::Post, &good, None),
        success("alice", 3, "70.0")
    );
}

#[test]
fn zero_and_surrounding_spaces_are_accepted_and_many_places_kept_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (accounts, ledger) = live(dir.path());
    let call = |balance: &str| {
        call_with(
            &accounts,
            &ledger,
            &payments(),
            Method::Post,
            &[("u", "admin"), ("user_id", "3"), ("balance", balance)],
            Some("secret"),
        )
    };
    assert_eq!(call("0"), success("alice", 3, "60.0"));
    assert_eq!(call(" 0.123456789 "), success("alice", 3, "60.123456789"));
    assert_eq!(call("-0.123456789"), success("alice", 3, "60.0"));
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance().to_string(), "60");
}

#[test]
fn concurrent_updates_end_at_the_opening_plus_the_exact_sum() {
    let dir = tempfile::tempdir().unwrap();
    let (accounts, ledger) = live(dir.path());
    let settings = payments();
    const THREADS: usize = 8;
    const EACH: usize = 25;
    // Amounts a binary float cannot hold exactly: 0.01 ... 0.08, and one debit a thread.
    let answered = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let (accounts, ledger, settings, answered) = (&accounts, &ledger, &settings, &answered);
            scope.spawn(move || {
                for i in 0..EACH {
                    let amount = if i == 0 {
                        "-0.3".to_owned()
                    } else {
                        format!("0.0{}", thread + 1)
                    };
                    let body = call_with(
                        accounts,
                        ledger,
                        settings,
                        Method::Post,
                        &[("u", "admin"), ("user_id", "3"), ("balance", &amount)],
                        Some("secret"),
                    );
                    assert!(body.contains(UPDATED), "{body}");
                    answered.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(answered.into_inner(), THREADS * EACH);
    // 60 + Σ_t (24 × 0.0(t+1) − 0.3) = 60 + 24 × 0.36 − 2.4 = 66.24
    let expected = Decimal::parse("66.24", false).unwrap();
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(alice.balance(), expected);
    drop(ledger);
    let (reopened, _ledger) = live(dir.path());
    assert_eq!(
        reopened.user_by_username("alice").unwrap().balance(),
        expected
    );
}
