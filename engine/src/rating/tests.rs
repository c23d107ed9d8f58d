use super::*;
use crate::testing::demo_data;

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

#[test]
fn the_first_tariff_with_a_row_wins_whatever_the_length() {
    let artifact = &demo_data().artifact;
    let found = |tariffs: [Option<&str>; 2], digits: &str, matching| {
        find_rate(
            artifact,
            tariffs,
            digits.as_bytes(),
            at("2026-11-26"),
            matching,
        )
        .map(|f| (f.tariff.name.clone(), f.prefix_len))
    };
    let both = [Some("vip_custom"), Some("retail")];
    assert_eq!(
        found(both, "37061234567", Matching::Longest),
        Some(("vip_custom".into(), 3))
    );
    assert_eq!(
        found(both, "4412", Matching::Longest),
        Some(("retail".into(), 2))
    );
    assert_eq!(
        found(both, "3706", Matching::Exact),
        Some(("retail".into(), 4))
    );
    assert_eq!(found(both, "37", Matching::Exact), None);
    // Names the artifact lacks and gaps are skipped.
    assert_eq!(
        found([Some("nope"), Some("retail")], "44", Matching::Exact),
        Some(("retail".into(), 2))
    );
    assert_eq!(found([None, None], "44", Matching::Longest), None);
}

#[test]
fn a_user_is_rated_by_its_tariffs_and_a_card_by_its_group_tariff() {
    let data = demo_data();
    let (artifact, accounts) = (&data.artifact, &data.accounts);
    let alice = Payer::User(accounts.user_by_username("alice").unwrap());
    let rating = rate(
        artifact,
        accounts,
        alice,
        &NumberRules::default(),
        b"+370 612 34567",
        at("2026-11-26"),
    )
    .unwrap();
    assert_eq!(
        (rating.tariff(), rating.prefix(), rating.currency()),
        ("vip_custom", &b"370"[..], "USD")
    );
    assert_eq!(
        rating.price(65).unwrap().cost,
        Decimal::parse("0.541667", false).unwrap()
    );
    // A card is rated by its group's tariff; a group without one prices nothing.
    let live = crate::json_api::testing::live(|file, text| {
        if file == "card_groups.csv" {
            "id,name,owner_id,tariff\n1,Retail cards,0,retail\n2,Reseller cards,2,\n".into()
        } else {
            text
        }
    });
    let (artifact, accounts) = (&*live.artifact, &live.accounts);
    let card = Payer::Card(accounts.card_by_number("1111111120").unwrap());
    let rating = rate(
        artifact,
        accounts,
        card,
        &NumberRules::default(),
        b"37061234567",
        at("2026-11-26"),
    )
    .unwrap();
    assert_eq!((rating.tariff(), rating.prefix()), ("retail", &b"3706"[..]));
    let card = Payer::Card(accounts.card_by_number("2222222201").unwrap());
    assert_eq!(
        rate(
            artifact,
            accounts,
            card,
            &NumberRules::default(),
            b"370",
            at("2026-11-26")
        )
        .unwrap_err(),
        RatingError::RateNotFound
    );
    let carol = Payer::User(accounts.user_by_username("carol").unwrap());
    assert_eq!(
        rate(
            artifact,
            accounts,
            carol,
            &NumberRules::default(),
            b"370",
            at("2026-11-26")
        )
        .unwrap_err(),
        RatingError::RateNotFound
    );
}

#[test]
fn what_a_payer_may_spend() {
    let accounts = &demo_data().accounts;
    let d = |text: &str| Decimal::parse(text, true).unwrap();
    let mut alice = accounts.user_by_username("alice").unwrap().clone();
    let balance = alice.balance();
    assert_eq!(Payer::User(&alice).limit(), Some(d("0")));
    assert_eq!(
        Payer::User(&alice).spendable(balance, d("2.5")),
        Some(d("57.5"))
    );
    alice.credit = Credit::Limited(d("10.5"));
    assert_eq!(
        Payer::User(&alice).spendable(balance, d("0")),
        Some(d("70.5"))
    );
    alice.credit = Credit::Unlimited;
    assert_eq!(Payer::User(&alice).limit(), None);
    assert_eq!(Payer::User(&alice).spendable(balance, d("1")), None);
    // Card 26: 10.0840336134454 less its minimum of 20.
    let card = accounts.card_by_number("1111111119").unwrap();
    assert_eq!(
        Payer::Card(card).spendable(card.balance(), d("0")),
        Some(d("-9.9159663865546"))
    );
    // No limit means the configured longest call, when at least 1 s.
    let rating = rate(
        &demo_data().artifact,
        accounts,
        Payer::User(&alice),
        &NumberRules::default(),
        b"370",
        at("2026-11-26"),
    )
    .unwrap();
    assert_eq!(rating.max_seconds(d("0"), None, 7200), Ok(Some(7200)));
    assert_eq!(rating.max_seconds(d("0"), None, 0), Ok(None));
    assert_eq!(
        rating.max_seconds(d("0.01"), Some(&[d("0.01"), d("0")][..]), 7200),
        Ok(Some(1))
    );
    // Review: a sum past 18 digits is neither "no limit" nor "nothing".
    let tiny = d("0.000000000000000001");
    assert_eq!(
        rating.max_seconds(tiny, Some(&[tiny, d("10")][..]), 7200),
        Ok(Some(1200))
    );
    // Issue 16: a call is allowed only when it can be charged. A balance at the edge
    // of 38 digits with unlimited credit would go past it: refused, not "7200 s".
    let edge = d(&format!("-{}.{}", "9".repeat(25), "9".repeat(13)));
    assert_eq!(
        rating.max_seconds(edge, None, 7200),
        Err(CostError::OutOfRange)
    );
    let roomy = d(&format!("-{}.{}", "9".repeat(20), "9".repeat(13)));
    assert_eq!(rating.max_seconds(roomy, None, 7200), Ok(Some(7200)));
    // Review: only the longest call's cost was tried, and it had no places (60), while a
    // shorter call's six places would pass 38 digits: every call must be chargeable.
    let big = d("150000000000000000000000000000000");
    assert_eq!(
        rating.max_seconds(big, Some(&[big, d("0")][..]), 7200),
        Err(CostError::OutOfRange)
    );
    // Review: many places in the balance are no reason to refuse (it was "out of
    // range" from widening the cost to 37 places in 128 bits).
    let fine = d("6.0000000000000000000000000000000000001");
    assert_eq!(
        rating.max_seconds(fine, Some(&[fine, d("0")][..]), 7200),
        Ok(Some(720))
    );
    let deep = d(&format!("-{}", "9".repeat(38)));
    assert_eq!(
        rating.max_seconds(deep, Some(&[deep, d("0")][..]), 7200),
        Ok(None)
    );
}

/// Issue 18: the number is normalised by the rules before the match, and a number too short
/// to be rated (an internal extension) is "rate not found".
#[test]
fn the_number_rules_apply_before_the_match() {
    let data = demo_data();
    let (artifact, accounts) = (&data.artifact, &data.accounts);
    let alice = Payer::User(accounts.user_by_username("alice").unwrap());
    let rules = NumberRules {
        international_prefixes: vec!["00".into(), "011".into()],
        national_prefix: Some("0".into()),
        country_code: Some("370".into()),
        min_digits: 5,
    };
    let plain = rate(
        artifact,
        accounts,
        alice,
        &NumberRules::default(),
        b"37061234567",
        at("2026-11-26"),
    )
    .unwrap();
    for number in [
        "0037061234567",
        "01137061234567",
        "+37061234567",
        "061234567",
    ] {
        let rating = rate(
            artifact,
            accounts,
            alice,
            &rules,
            number.as_bytes(),
            at("2026-11-26"),
        )
        .unwrap();
        assert_eq!(rating.prefix(), plain.prefix(), "{number}");
        assert_eq!(rating.destination(), plain.destination(), "{number}");
    }
    assert!(rate(
        artifact,
        accounts,
        alice,
        &NumberRules::default(),
        b"3706",
        at("2026-11-26")
    )
    .is_ok());
    assert_eq!(
        rate(artifact, accounts, alice, &rules, b"3706", at("2026-11-26")).unwrap_err(),
        RatingError::RateNotFound
    );
}
