use super::*;

use crate::money::Decimal;
use crate::testing::{account_files_in, demo_account_files, is_demo_tariff};

/// The reload checks a file's type by path before loading; a FIFO renamed over the path
/// after that check must still be refused by the open itself, not waited on for ever.
#[test]
fn an_account_file_that_is_a_fifo_is_refused_by_the_open_itself() {
    let dir = tempfile::tempdir().unwrap();
    crate::testing::write_demo_data(dir.path());
    let users = dir.path().join("users.csv");
    std::fs::remove_file(&users).unwrap();
    let made = std::process::Command::new("mkfifo").arg(&users).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("mkfifo is not available; skipped");
        return;
    }
    let files = crate::testing::account_files_in(dir.path());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = load(&files, "USD", &|_| true).map(|_| ());
        let _ = sender.send(result.map_err(|failure| failure.errors.to_string()));
    });
    let result = receiver
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("loading an account file that is a FIFO blocked");
    let message = result.expect_err("a FIFO is not an account file");
    assert!(
        message.contains("users.csv:1:1: is a FIFO (named pipe), not a regular file"),
        "{message}"
    );
}

#[test]
fn tariffs_of_names_every_users_custom_then_main_tariff() {
    let accounts = crate::testing::demo_accounts();
    let mut seen = 0;
    for user in accounts.users() {
        let expected = [user.custom_tariff.as_deref(), user.tariff.as_deref()];
        assert_eq!(accounts.tariffs_of(user), expected, "{}", user.username);
        seen += expected.iter().flatten().count();
    }
    assert!(
        seen >= 3,
        "the demo users name too few tariffs to test this"
    );
}

#[test]
fn the_demo_accounts_load_with_their_indexes() {
    let (accounts, warnings) = load(&demo_account_files(), "USD", &is_demo_tariff).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(accounts.admin().username, "admin");
    let alice = accounts.user_by_username("alice").unwrap();
    assert_eq!(
        (alice.role, alice.currency.as_deref()),
        (Role::User, Some("EUR"))
    );
    assert_eq!(alice.custom_tariff.as_deref(), Some("vip_custom"));
    assert_eq!(alice.balance().to_string(), "60");
    assert_eq!(alice.numbers, vec!["37061234567", "37052000000"]);
    assert_eq!(accounts.user_by_unique_hash("a1b2c3d4e5").unwrap().id, 3);
    let dave = accounts.user_by_id(6).unwrap();
    assert!(matches!(dave.password, Some(Password::Sha256(_))));
    let reseller = accounts.user_by_username("reseller1").unwrap();
    assert!(reseller.permissions.calling_cards);
    assert_eq!(reseller.api_key.as_deref(), Some("resellerkey"));
    let card = accounts.card_by_number("1111111119").unwrap();
    assert_eq!((card.id, card.balance_f64()), (26, 10.0840336134454));
    assert_eq!(card.daily_charge_paid_till, "2015-11-05 02:00:00 +0200");
    let distributor = accounts.user_by_id(card.distributor_id.unwrap()).unwrap();
    assert_eq!(distributor.display_name(), "Test User #1");
    assert_eq!(accounts.card_by_pin("3001").unwrap().name, "Card & Co");
    assert_eq!(
        accounts.cards().iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![26, 27, 28, 40]
    );
    assert_eq!(accounts.card_group(2).unwrap().owner_id, 2);
    assert_eq!(
        accounts.currencies.get("gbp").unwrap().rate.to_string(),
        "0.79"
    );
}

/// Writes the four files (header rows included by the caller) and loads them.
fn load_texts(users: &str, groups: &str, cards: &str) -> Result<Accounts, String> {
    let dir = tempfile::tempdir().unwrap();
    let files = account_files_in(dir.path());
    std::fs::write(&files.users, users).unwrap();
    std::fs::write(&files.card_groups, groups).unwrap();
    std::fs::write(&files.cards, cards).unwrap();
    std::fs::write(&files.currencies, "code,exchange_rate\nUSD,1\nEUR,0.92\n").unwrap();
    let prefix = format!("{}/", dir.path().display());
    load(&files, "USD", &is_demo_tariff)
        .map(|(accounts, _)| accounts)
        .map_err(|failure| failure.errors.to_string().replace(&prefix, ""))
}

const USERS: &str = "id,username,role,owner_id,tariff,currency,api_key,permissions,password\n";
const GROUPS: &str = "id,name,owner_id\n1,G,0\n";
const CARDS: &str = "id,number,pin,group_id\n";

#[test]
fn credit_is_a_decimal_of_at_least_zero_or_minus_one_for_no_limit() {
    let users = "id,username,role,owner_id,credit\n\
                 0,admin,admin,0,\n\
                 1,a,user,0,10.5\n\
                 2,b,user,0,-1\n\
                 3,c,user,0,0\n\
                 4,d,user,0,-1.00\n";
    let accounts = load_texts(users, GROUPS, CARDS).unwrap();
    let credit = |name: &str| accounts.user_by_username(name).unwrap().credit;
    assert_eq!(credit("admin"), Credit::Limited(Decimal::ZERO));
    assert_eq!(
        credit("a"),
        Credit::Limited(Decimal::parse("10.5", false).unwrap())
    );
    assert_eq!(credit("b"), Credit::Unlimited);
    assert_eq!(credit("c"), Credit::Limited(Decimal::ZERO));
    assert_eq!(credit("d"), Credit::Unlimited);
    let bad = "id,username,role,owner_id,credit\n\
               0,admin,admin,0,-2\n\
               1,a,user,0,1e3\n\
               2,b,user,0,-0.5\n";
    let error = load_texts(bad, GROUPS, CARDS).unwrap_err();
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 3, "{error}");
    assert_eq!(
        lines[0],
        "users.csv:2:5: credit \"-2\" must be a decimal of at least 0, or -1 for no limit"
    );
    assert!(
        lines[1].starts_with("users.csv:3:5: credit \"1e3\""),
        "{error}"
    );
    assert!(
        lines[2].starts_with("users.csv:4:5: credit \"-0.5\" must be"),
        "{error}"
    );
}

#[test]
fn a_card_groups_tariff_must_be_in_the_artifact_and_must_stay_there() {
    let users = format!("{USERS}0,admin,admin,0,,,,,\n");
    let groups = "id,name,owner_id,tariff\n1,G,0,wholesale\n2,H,0,\n";
    let accounts = load_texts(&users, groups, CARDS).unwrap();
    assert_eq!(
        accounts.card_group(1).unwrap().tariff.as_deref(),
        Some("wholesale")
    );
    assert_eq!(accounts.card_group(2).unwrap().tariff, None);
    // A reload keeps these accounts only while the artifact holds the group's tariff.
    assert_eq!(accounts.tariff_names(), ["wholesale"]);
    let groups = "id,name,owner_id,tariff\n1,G,0,nope\n";
    assert_eq!(
        load_texts(&users, groups, CARDS).unwrap_err(),
        "card_groups.csv:2:4: tariff \"nope\" is not in the tariff artifact\n"
    );
    let groups = "id,name,owner_id,tariff\n1,G,0,bad name\n";
    assert_eq!(
        load_texts(&users, groups, CARDS).unwrap_err(),
        "card_groups.csv:2:4: tariff \"bad name\" is not a tariff name (1-64 of A-Za-z0-9_-)\n"
    );
}

#[test]
fn cross_row_and_cross_file_problems_are_each_reported() {
    let users = format!(
        "{USERS}0,admin,admin,0,retail,USD,,,\n\
         1,admin,user,0,nope,XXX,,,\n\
         2,r,reseller,5,,,k,calling_cards,\n\
         2,u,user,1,,,,,\n\
         3,v,admin,3,,,,,\n\
         4,w,user,9,,,,,sha256:abc\n\
         5,x,accountant,0,,,k2,calling_cards,\n"
    );
    let error = load_texts(&users, GROUPS, CARDS).unwrap_err();
    assert_eq!(
        error,
        "users.csv:7:9: password \"sha256:...\" must be followed by 64 lowercase hex digits\n\
         users.csv:8:7: api_key is for resellers only\n\
         users.csv:8:8: permission \"calling_cards\" is for resellers only\n"
    );
    let users = format!(
        "{USERS}0,admin,admin,0,retail,USD,,,\n\
         1,admin,user,0,nope,XXX,,,\n\
         2,r,reseller,5,,,k,calling_cards,\n\
         2,u,user,1,,,,,\n\
         3,v,admin,3,,,,,\n\
         4,w,user,9,,,,,\n"
    );
    let error = load_texts(&users, GROUPS, CARDS).unwrap_err();
    assert_eq!(
        error,
        "users.csv:3:2: username \"admin\" is already used at line 2\n\
         users.csv:3:5: tariff \"nope\" is not in the tariff artifact\n\
         users.csv:3:6: currency \"XXX\" is not in currencies.csv\n\
         users.csv:4:4: owner_id 5 is not the id of any user\n\
         users.csv:5:1: id \"2\" is already used at line 4\n\
         users.csv:5:4: owner_id 1 is a user with role user; users belong to the admin or a reseller\n\
         users.csv:6:3: a second admin (the first is at line 2); exactly one is allowed\n\
         users.csv:7:4: owner_id 9 is not the id of any user\n"
    );
}

#[test]
fn cards_and_groups_are_checked_against_each_other_and_users() {
    let users = format!("{USERS}0,admin,admin,0,,,,,\n1,u,user,0,,,,,\n");
    let groups = "id,name,owner_id\n1,G,0\n2,H,1\n";
    let cards = "id,number,pin,group_id,distributor_id,first_use,sold\n\
                 1,100,7,1,,,1\n\
                 2,100,7,3,8,2026-01-01 00:00:00 +0200,0\n\
                 1,101,8,1,,2026-01-01,2\n";
    let error = load_texts(&users, groups, cards).unwrap_err();
    assert_eq!(
        error,
        "cards.csv:4:6: first_use \"2026-01-01\" must be empty or YYYY-MM-DD HH:MM:SS +zzzz\n\
         cards.csv:4:7: sold \"2\" must be 0 or 1\n"
    );
    let cards = "id,number,pin,group_id,distributor_id\n1,100,7,1,\n2,100,7,3,8\n1,101,7,1,\n";
    let error = load_texts(&users, groups, cards).unwrap_err();
    assert_eq!(
        error,
        "card_groups.csv:3:3: owner_id 1 is not the admin or a reseller\n\
         cards.csv:3:2: number \"100\" is already used at line 2\n\
         cards.csv:3:4: group_id 3 is not in card_groups.csv\n\
         cards.csv:3:5: distributor_id 8 is not the id of any user\n\
         cards.csv:4:1: id \"1\" is already used at line 2\n"
    );
}

#[test]
fn errors_name_the_lines_of_a_repeated_or_bad_secret_but_never_its_value() {
    let users = "id,username,role,owner_id,unique_hash,api_key\n\
                 0,admin,admin,0,hash-S3CRET-1,\n\
                 1,r,reseller,0,,key-S3CRET-2\n\
                 2,s,reseller,0,hash-S3CRET-1,key-S3CRET-2\n";
    let error = load_texts(users, GROUPS, CARDS).unwrap_err();
    assert!(
        error.contains("users.csv:4:5: unique_hash is already used at line 2"),
        "{error}"
    );
    assert!(
        error.contains("users.csv:4:6: api_key is already used at line 3"),
        "{error}"
    );
    assert!(!error.contains("S3CRET"), "a secret leaked: {error}");

    let users = format!("{USERS}0,admin,admin,0,,,,,\n");
    let cards = "id,number,pin,group_id\n1,100,12x4-S3CRET,1\n";
    let error = load_texts(&users, GROUPS, cards).unwrap_err();
    assert!(
        error.contains("cards.csv:2:3: pin must be 1-20 digits"),
        "{error}"
    );
    assert!(!error.contains("S3CRET"), "a secret leaked: {error}");
}

#[test]
fn a_pin_shared_by_cards_finds_none() {
    let users = format!("{USERS}0,admin,admin,0,,,,,\n");
    let accounts = load_texts(
        &users,
        GROUPS,
        "id,number,pin,group_id\n1,100,7,1\n2,101,7,1\n3,102,8,1\n",
    )
    .unwrap();
    assert!(accounts.card_by_pin("7").is_none());
    assert_eq!(accounts.card_by_pin("8").unwrap().id, 3);
}

#[test]
fn no_admin_is_an_error() {
    let users = format!("{USERS}1,r,reseller,1,,,,,\n");
    let error = load_texts(&users, "id,name,owner_id\n", CARDS).unwrap_err();
    assert!(
        error.starts_with("users.csv:1:1: no user has role admin; exactly one must\n"),
        "{error}"
    );
}
