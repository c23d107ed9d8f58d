use super::check::{SECTIONS, SETTINGS};
use super::*;
use ratel_engine::ledger::session::SessionLimits;
use ratel_engine::lookup::NumberRules;

/// The error `text` is refused with, as printed.
fn error(text: &str) -> String {
    Config::parse(text, Path::new("."), "ratel.toml")
        .unwrap_err()
        .to_string()
}

#[test]
fn the_demo_configuration_loads_with_paths_beside_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/demo/ratel.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
    assert_eq!(config.web_dir, "/billing");
    assert_eq!(
        config.api,
        ApiSettings {
            payments_over_api: true,
            native_token: "demo-token-change-me".into(),
            numbers: NumberRules {
                international_prefixes: vec!["00".into(), "011".into()],
                min_digits: 5,
                ..NumberRules::default()
            },
            ..ApiSettings::default()
        }
    );
    assert!(config.ledger.ends_with("fixtures/demo/ledger.sqlite"));
    assert!(config.ledger_create);
    assert!(config
        .data
        .accounts
        .users
        .ends_with("fixtures/demo/users.csv"));
    assert!(config
        .data
        .artifact
        .ends_with("fixtures/demo/tariffs.ratel"));
}

#[test]
fn every_key_has_a_default() {
    let config = Config::parse("", Path::new("/etc/ratel"), "ratel.toml").unwrap();
    assert_eq!(config.admin_listen, "127.0.0.1:9090".parse().unwrap());
    assert_eq!(config.data.default_currency, "USD");
    assert_eq!(
        config.data.accounts.cards,
        Path::new("/etc/ratel/cards.csv")
    );
    assert!(
        config.ledger_create,
        "a missing ledger is created by default"
    );
    let config = Config::parse("[api]\nallow_get = false\n", Path::new("."), "r").unwrap();
    assert!(!config.api.allow_get && config.api.enabled);
    assert_eq!(config.access_log, None, "the access log is off by default");
    let config = Config::parse("access_log = \"access.log\"\n", Path::new("/var/r"), "r");
    assert_eq!(
        config.unwrap().access_log.as_deref(),
        Some("/var/r/access.log")
    );
    let config = Config::parse("access_log = \"-\"\n", Path::new("/var/r"), "r");
    assert_eq!(config.unwrap().access_log.as_deref(), Some("-"));
}

/// `[ledger] create = false` (production: a missing ledger is an error) parses.
#[test]
fn ledger_create_parses() {
    let config = Config::parse("[ledger]\ncreate = false\n", Path::new("/r"), "r").unwrap();
    assert!(!config.ledger_create);
    assert_eq!(config.ledger, Path::new("/r/ledger.sqlite"));
    let config = Config::parse("[ledger]\ncreate = true\n", Path::new("/r"), "r").unwrap();
    assert!(config.ledger_create);
    assert_eq!(
        error("[ledger]\ncreate = \"no\"\n"),
        "ratel.toml:2:10: ledger.create must be true or false, not a string"
    );
}

/// [`SETTINGS`] lists the fields serde reads, section by section and in their order.
#[test]
fn the_settings_are_the_fields_serde_reads() {
    for section in ["", "data", "api", "ledger", "numbers"] {
        let text = match section {
            "" => "unknown_key = 1\n".to_owned(),
            section => format!("[{section}]\nunknown_key = 1\n"),
        };
        let message = toml::from_str::<File>(&text)
            .unwrap_err()
            .message()
            .to_owned();
        // "unknown field `unknown_key`, expected one of `a`, `b`" (or "`a` or `b`")
        let (_, expected) = message.split_once("expected ").unwrap();
        let fields: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let mut listed: Vec<&str> = SETTINGS
            .iter()
            .filter(|(s, ..)| *s == section)
            .map(|(_, key, _)| *key)
            .collect();
        if section.is_empty() {
            listed.extend(SECTIONS);
        }
        assert_eq!(fields, listed, "[{section}]");
    }
}

/// Issue 16: a misspelt or misplaced key was blamed on `api.secret_key` or
/// `api.native_token`, on another line. It is named, at its own line, with the closest
/// setting or the section it belongs in.
#[test]
fn an_unknown_key_is_named_with_the_closest_setting() {
    assert_eq!(
        error("[api]\nsecret_key = \"TOPSECRET\"\npayment_over_api = true\n"),
        "ratel.toml:3:1: api.payment_over_api is not a setting; did you mean api.payments_over_api?"
    );
    assert_eq!(
        error("[api]\nnative_token = \"0123456789abcdef\"\nallow_gets = true\n"),
        "ratel.toml:3:1: api.allow_gets is not a setting; did you mean api.allow_get?"
    );
    assert_eq!(
        error("workers = 2\nnative_token = \"0123456789abcdef\"\n\n[api]\nsecret_key = \"s\"\n"),
        "ratel.toml:2:1: native_token is not a top-level setting; it belongs in [api]"
    );
    assert_eq!(
        error("[api]\nlisten = \"127.0.0.1:1\"\n"),
        "ratel.toml:2:1: api.listen is not a setting; it belongs at the top level, before the first [section]"
    );
    assert_eq!(
        error("[data]\npath = \"x\"\n"),
        "ratel.toml:2:1: data.path is not a setting; it belongs in [ledger]"
    );
    assert_eq!(
        error("lisen = \"127.0.0.1:1\"\n"),
        "ratel.toml:1:1: lisen is not a top-level setting; did you mean listen?"
    );
    assert_eq!(
        error("[apii]\nsecret_key = \"s\"\n"),
        "ratel.toml:1:2: [apii] is not a section; did you mean [api]?"
    );
    assert_eq!(
        error("[ledger]\nfoo = 1\n"),
        "ratel.toml:2:1: ledger.foo is not a setting (the settings of [ledger] are path, create, url)"
    );
    // Dotted keys and inline tables are named the same, at the key.
    for text in [
        "api.payment_over_api = true\n",
        "api = { payment_over_api = true }\n",
    ] {
        assert!(
            error(text).ends_with(
                "api.payment_over_api is not a setting; did you mean api.payments_over_api?"
            ),
            "{text:?}: {}",
            error(text)
        );
    }
    assert!(error("api = { payment_over_api = true }\n").starts_with("ratel.toml:1:9: "));
}

/// Issue 18: `[numbers]` is read into `api.numbers`; by default it changes nothing; its
/// mistakes are named with what the value must be.
#[test]
fn the_number_rules_are_read_and_checked() {
    let config = Config::parse("", Path::new("."), "r").unwrap();
    assert!(config.api.numbers.is_default());
    let text = "[numbers]\ninternational_prefixes = [\"00\", \"011\"]\nnational_prefix = \"0\"\n\
                country_code = \"370\"\nmin_digits = 5\n";
    let config = Config::parse(text, Path::new("."), "r").unwrap();
    assert_eq!(
        config.api.numbers,
        NumberRules {
            international_prefixes: vec!["00".into(), "011".into()],
            national_prefix: Some("0".into()),
            country_code: Some("370".into()),
            min_digits: 5,
        }
    );
    assert_eq!(
        error("[numbers]\ninternational_prefixes = \"00\"\n"),
        "ratel.toml:2:26: numbers.international_prefixes must be a list of digit strings in double quotes (like [\"00\", \"011\"]), not a string"
    );
    assert_eq!(
        error("[numbers]\ninternational_prefixes = [\"00\", 11]\n"),
        "ratel.toml:2:26: numbers.international_prefixes must be a list of digit strings in double quotes (like [\"00\", \"011\"]), not a list holding a number"
    );
    assert_eq!(
        error("[numbers]\ninternational_prefixes = [\"+\"]\n"),
        "ratel.toml:2:26: numbers.international_prefixes must be a list of prefixes of 1 to 20 digits each (like [\"00\", \"011\"]), not \"+\""
    );
    assert_eq!(
        error("[numbers]\ncountry_code = \"+370\"\n"),
        "ratel.toml:2:16: numbers.country_code must be 1 to 20 digits in double quotes (like \"370\"), not \"+370\""
    );
    assert_eq!(
        error("[numbers]\nnational_prefix = 0\n"),
        "ratel.toml:2:19: numbers.national_prefix must be 1 to 20 digits in double quotes (like \"0\"), not a number"
    );
    assert_eq!(
        error("[numbers]\nmin_digits = 21\n"),
        "ratel.toml:2:14: numbers.min_digits must be a whole number of digits from 0 to 20 (like 5), not 21"
    );
    assert_eq!(
        error("[numbers]\nmin_digit = 5\n"),
        "ratel.toml:2:1: numbers.min_digit is not a setting; did you mean numbers.min_digits?"
    );
    assert_eq!(
        error("[api]\nmin_digits = 5\n"),
        "ratel.toml:2:1: api.min_digits is not a setting; it belongs in [numbers]"
    );
    assert_eq!(
        error("[number]\nmin_digits = 5\n"),
        "ratel.toml:1:2: [number] is not a section; did you mean [numbers]?"
    );
}

/// Issue 16: type errors said `invalid type: string "3600", expected u32`, no key.
#[test]
fn a_value_of_the_wrong_type_names_its_key_and_form() {
    assert_eq!(
        error("workers = 2\n\n[api]\nmax_call_seconds = \"3600\"\n"),
        "ratel.toml:4:20: api.max_call_seconds must be a whole number of seconds (like 7200), not a string"
    );
    assert_eq!(
        error("workers = \"two\"\n"),
        "ratel.toml:1:11: workers must be a whole number of threads (like 4, or 0 for one per core), not a string"
    );
    assert_eq!(
        error("[api]\nbalance_decimals = 12\n"),
        "ratel.toml:2:20: api.balance_decimals must be a whole number of decimal places from 0 to 8 (like 4), not 12"
    );
    assert_eq!(
        error("[api]\nmax_call_seconds = -1\n"),
        "ratel.toml:2:20: api.max_call_seconds must be a whole number of seconds up to 4294967295 (like 7200), not -1"
    );
    assert_eq!(
        error("listen = \"localhost\"\n"),
        "ratel.toml:1:10: listen must be an IP address and port in double quotes (like \"127.0.0.1:8080\"), not \"localhost\""
    );
    assert_eq!(
        error("default_currency = \"US D\"\n"),
        "ratel.toml:1:20: default_currency must be 1 to 16 letters or digits in double quotes (like \"USD\"), not \"US D\""
    );
    assert_eq!(
        error("[data]\nusers = 3\n"),
        "ratel.toml:2:9: data.users must be a file path in double quotes (like \"users.csv\"), not a number"
    );
    assert_eq!(
        error("api = 3\n"),
        "ratel.toml:1:7: api must be a section ([api]), not a number"
    );
    // Not TOML at all: still the key, its line and what it must be.
    assert_eq!(
        error("workers = two\n"),
        "ratel.toml:1:11: workers must be a whole number of threads (like 4, or 0 for one per core); this is not valid TOML (invalid string, expected `\"`, `'`)"
    );
    assert_eq!(
        error("[api\n"),
        "ratel.toml:1:5: this is not valid TOML (invalid table header, expected `.`, `]`)"
    );
}

#[test]
fn a_secret_of_the_wrong_type_is_named_and_not_shown() {
    assert_eq!(
        error("[api]\nsecret_key = 12345678\n"),
        "ratel.toml:2:14: api.secret_key must be a string in double quotes (its value is not shown)"
    );
    assert_eq!(
        error("[api]\nnative_token = 1234567890123456789\n"),
        "ratel.toml:2:16: api.native_token must be a string in double quotes (its value is not shown)"
    );
}

/// Received tokens are trimmed, and a short one can be guessed: both are refused, the
/// token never shown.
#[test]
fn a_short_or_padded_native_token_is_refused() {
    assert_eq!(
        error("[api]\nnative_token = \"demo-token\"\n"),
        "ratel.toml:2:16: api.native_token must be at least 16 characters long, or \"\" to turn the JSON API off: a short token can be guessed (its value is not shown)"
    );
    assert_eq!(
        error("[api]\nnative_token = \"0123456789abcdef \"\n"),
        "ratel.toml:2:16: api.native_token must be a token with no space at either end: tokens received are trimmed, so no request could match it (its value is not shown)"
    );
    assert!(error("[api]\nnative_token = \"\\t0123456789abcdef\"\n")
        .starts_with("ratel.toml:2:16: api.native_token must be a token with no space"));
    // Review: a token holding a newline, NUL or DEL was accepted, and no header could
    // carry it: the JSON API was silently unusable.
    for bad in [
        "0123456789\\nabcdef",
        "0123456789\\u0000abcdef",
        "0123456789\\u007fabcdef",
    ] {
        assert_eq!(
            error(&format!("[api]\nnative_token = \"{bad}\"\n")),
            "ratel.toml:2:16: api.native_token must be a token without control characters (a newline, a tab, NUL or DEL): no request header can carry them (its value is not shown)",
            "{bad}"
        );
    }
    for token in ["", "0123456789abcdef", "a token with inner spaces"] {
        let text = format!("[api]\nnative_token = \"{token}\"\n");
        let config = Config::parse(&text, Path::new("."), "r").unwrap();
        assert_eq!(config.api.native_token, token);
    }
}

/// `web_dir` must not take the JSON API's `/v1/` paths, nor hold what a path cannot.
#[test]
fn a_web_dir_under_v1_or_with_spaces_is_refused() {
    // Review: `//x` and `/..` were accepted.
    for dir in ["//x", "/..", "/billing/./api", "/a//b"] {
        assert_eq!(
            error(&format!("web_dir = \"{dir}\"\n")),
            format!("ratel.toml:1:11: web_dir must be a path of named segments, without // or . or .. (like \"/billing\"), not \"{dir}\"")
        );
    }
    assert_eq!(
        error("web_dir = \"/v1\"\n"),
        "ratel.toml:1:11: web_dir must be a path outside /v1, where the JSON API answers (like \"/billing\"), not \"/v1\""
    );
    assert_eq!(
        error("web_dir = \"/v1/x\"\n"),
        "ratel.toml:1:11: web_dir must be a path outside /v1, where the JSON API answers (like \"/billing\"), not \"/v1/x\""
    );
    assert_eq!(
        error("web_dir = \"/bill ing\"\n"),
        "ratel.toml:1:11: web_dir must be a path without spaces, ? or # (like \"/billing\"), not \"/bill ing\""
    );
    assert_eq!(
        error("web_dir = \"/a?b\"\n"),
        "ratel.toml:1:11: web_dir must be a path without spaces, ? or # (like \"/billing\"), not \"/a?b\""
    );
    assert_eq!(
        error("web_dir = \"billing\"\n"),
        "ratel.toml:1:11: web_dir must be a path starting with / (like \"/billing\"), not \"billing\""
    );
    assert!(error("web_dir = \"/v1/\"\n").ends_with("not \"/v1/\""));
    assert!(error("web_dir = \"/a#b\"\n").ends_with("not \"/a#b\""));
    for (dir, web_dir) in [("/billing/", "/billing"), ("/v1x", "/v1x"), ("/", "")] {
        let text = format!("web_dir = \"{dir}\"\n");
        let config = Config::parse(&text, Path::new("."), "r").unwrap();
        assert_eq!(config.web_dir, web_dir);
    }
}

/// Review: a TOML error printed its source snippet, so a mistyped `secret_key` line
/// showed the key in the log. The error names the file, line and column only.
#[test]
fn a_mistake_on_the_secret_key_line_never_shows_the_key() {
    for (text, line) in [
        ("[api]\nsecret_key = \"TOPSECRET\n", 2),
        ("[api]\nsecret_key = 12345678\n", 2),
        ("workers = 2\n\n[api]\nsecret_key = TOPSECRET\n", 4),
        ("[api]\nsecret_key = 'TOPSECRET\n", 2),
        ("[api]\nsecret_key = \"\"\"TOPSECRET\nmore\n", 2),
        ("api.secret_key = 12345678\n", 1),
        ("api = { secret_key = 12345678 }\n", 1),
        (
            "[api]\n# secret_key = \"OLD\"\nsecret_key = 12345678 # new\n",
            3,
        ),
    ] {
        let error = error(text);
        assert!(
            !error.contains("TOPSECRET") && !error.contains("12345678"),
            "{text:?}: {error}"
        );
        assert!(
            error.starts_with(&format!("ratel.toml:{line}:"))
                && error.ends_with(
                    "api.secret_key must be a string in double quotes (its value is not shown)"
                ),
            "{text:?}: {error}"
        );
    }
    // The JSON API's token is a secret too.
    let token = error("[api]\nnative_token = \"TOPSECRET\n");
    assert_eq!(
        token,
        "ratel.toml:2:26: api.native_token must be a string in double quotes (its value is not shown)"
    );
    // A value elsewhere that could quote the key's value is withheld.
    let elsewhere = error("[api]\nsecret_key = \"123456789\"\nbalance_decimals = 123456789\n");
    assert_eq!(
        elsewhere,
        "ratel.toml:3:20: api.balance_decimals must be a whole number of decimal places from 0 to 8 (like 4); the value is not shown (it could quote api.secret_key)"
    );
    // Other mistakes are named at their own key, with line and column, never a snippet.
    let other = error("[api]\nsecret_key = \"TOPSECRET\"\nallow_get = 3\n");
    assert_eq!(
        other,
        "ratel.toml:3:13: api.allow_get must be true or false, not a number"
    );
}

/// Whatever the mistake, near a secret or not, no message quotes a secret: every
/// character of a configuration deleted in turn, or one of TOML's punctuation marks put
/// before it.
#[test]
fn no_mistake_shows_a_secret() {
    let key = "TOPSECRET-key-1234";
    let token = "TOPSECRET-token-5678";
    let text = format!(
        "listen = \"127.0.0.1:8080\"\nweb_dir = \"/billing\"\n\n[api]\nsecret_key = \"{key}\"\n\
         balance_decimals = 4\nnative_token = \"{token}\" # the JSON API's\n\
         max_call_seconds = 7200\n\n[ledger]\npath = \"ledger.sqlite\"\n"
    );
    assert!(Config::parse(&text, Path::new("."), "r").is_ok());
    let mut mistakes = Vec::new();
    for (at, _) in text.char_indices() {
        let mut deleted = text.clone();
        deleted.remove(at);
        mistakes.push(deleted);
        for mark in ['"', '\'', '=', '[', ']', '{', '}', ',', '.', '#', '\n', ' '] {
            let mut inserted = text.clone();
            inserted.insert(at, mark);
            mistakes.push(inserted);
        }
    }
    let windows = |secret: &str| -> Vec<String> {
        let chars: Vec<char> = secret.chars().collect();
        chars.windows(8).map(|w| w.iter().collect()).collect()
    };
    let windows = [windows(key), windows(token)].concat();
    for mistake in mistakes {
        if let Err(error) = Config::parse(&mistake, Path::new("."), "ratel.toml") {
            let error = error.to_string();
            assert!(
                !windows.iter().any(|w| error.contains(w.as_str())),
                "{mistake:?}: {error}"
            );
        }
    }
}

/// Issue 16: hiding a secret moved the blame to another key or line: any line that
/// mentioned `secret_key` or `native_token` (a comment, a misplaced key) took the error.
#[test]
fn hiding_a_secret_never_moves_an_error() {
    assert_eq!(
        error("[api]\n# the native_token is set below\nallow_get = 3\n"),
        "ratel.toml:3:13: api.allow_get must be true or false, not a number"
    );
    assert_eq!(
        error("native_token = \"TOPSECRET\n[api]\n"),
        "ratel.toml:1:26: native_token must be a string in double quotes (its value is not shown)"
    );
    assert_eq!(
        error("[api]\nsecret_key = \"\"\"TOPSECRET\nmore\n"),
        "ratel.toml:2:1: api.secret_key must be a string in double quotes (its value is not shown)"
    );
    // A syntax error after a secret is the other key's.
    assert_eq!(
        error("[api]\nsecret_key = \"TOPSECRET\"\nmax_call_seconds = 7200s\n"),
        "ratel.toml:3:24: api.max_call_seconds must be a whole number of seconds (like 7200); this is not valid TOML (expected newline, `#`)"
    );
    // An open string in an inline table is the secret's, not the table's.
    assert_eq!(
        error("api = { secret_key = \"TOPSECRET\n"),
        "ratel.toml:1:32: api.secret_key must be a string in double quotes (its value is not shown)"
    );
}

/// Issue 19: `[sessions]` is read into `api.sessions` (defaults: one grant a call, 60 s of
/// grace, a million sessions); its mistakes are named.
#[test]
fn the_session_limits_are_read_and_checked() {
    let config = Config::parse("", Path::new("."), "r").unwrap();
    assert_eq!(config.api.sessions, SessionLimits::default());
    assert_eq!(
        (config.api.sessions.grant_s, config.api.sessions.grace_s),
        (0, 60)
    );
    let text = "[sessions]\ngrant_s = 300\ngrace_s = 5\nmax_open = 10\n";
    let config = Config::parse(text, Path::new("."), "r").unwrap();
    assert_eq!(
        config.api.sessions,
        SessionLimits {
            grant_s: 300,
            grace_s: 5,
            max_open: 10
        }
    );
    let settings = config.api.session_settings();
    assert_eq!((settings.grant_s, settings.max_call_seconds), (300, 7200));
    assert_eq!(
        error("[sessions]\nmax_open = 0\n"),
        "ratel.toml:2:12: sessions.max_open must be a whole number, 1 or more (like 1000000), not 0"
    );
    assert_eq!(
        error("[sessions]\ngrant_s = -1\n"),
        "ratel.toml:2:11: sessions.grant_s must be a whole number of seconds up to 4294967295 (like 7200), not -1"
    );
    assert!(error("[sessions]\ngrant = 300\n").contains("sessions.grant"));
}

/// `[ledger] url` puts the ledger in PostgreSQL; with `path` too it is refused; its password
/// is never shown, not even in a mistake.
#[test]
fn a_postgresql_ledger_is_a_url_and_never_also_a_path() {
    let config = Config::parse(
        "[ledger]\nurl = \"postgresql://ratel:pw-s3cret@/billing?host=/run/postgresql\"\n",
        Path::new("/r"),
        "r",
    )
    .unwrap();
    let target = config.ledger_url.expect("a PostgreSQL ledger");
    assert_eq!(
        target.to_string(),
        "postgresql://ratel@/billing?host=/run/postgresql"
    );
    assert_eq!(
        error("[ledger]\npath = \"l.sqlite\"\nurl = \"postgresql://ratel:pw-s3cret@/b?host=/x\"\n"),
        "ratel.toml: [ledger] has both path and url: the ledger is a file (path) or a \
         PostgreSQL database shared by several servers (url), not both"
    );
    let bad = error("[ledger]\nurl = \"postgresql://ratel:pw-s3cret@/?host=/x\"\n");
    assert_eq!(
        bad,
        "ratel.toml: ledger.url: the PostgreSQL URL names no database"
    );
    let wrong = error("[ledger]\nurl = 5\n");
    assert!(
        !wrong.contains("s3cret") && wrong.contains("ledger.url"),
        "{wrong}"
    );
    assert!(Config::parse("", Path::new("/r"), "r")
        .unwrap()
        .ledger_url
        .is_none());
}
