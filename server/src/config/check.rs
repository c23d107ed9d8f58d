//! Checking the text of `ratel.toml` key by key, before serde reads it: the settings and
//! the form of each value ([`SETTINGS`]), the messages that name the file, the key's line
//! and column, its full dotted name and what its value must be, and the secrets those
//! messages must never quote.

use std::net::SocketAddr;

use toml_edit::{ImDocument, Item, Key, TableLike, Value};

/// What a setting's value must be: how it is checked, and how an error says it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Form {
    /// `IP:PORT` in quotes; the example shown.
    Address(&'static str),
    /// Worker threads, 0 or more.
    Threads,
    /// `web_dir`: starts with `/`, no whitespace, `?` or `#`, not `/v1` or under it.
    WebDir,
    /// A currency code (`ratel_engine::accounts::is_valid_code`).
    Currency,
    /// `access_log`: any string.
    AccessLog,
    /// A file path, any string; the example shown.
    File(&'static str),
    Bool,
    /// `api.secret_key`: any string, never shown.
    Secret,
    /// `api.native_token`: empty, or [`MIN_TOKEN_CHARS`] or more with no space at either
    /// end; never shown.
    Token,
    /// `api.balance_decimals`: 0 to 8.
    Decimals,
    /// `api.max_call_seconds`: a `u32`.
    Seconds,
    /// `numbers.international_prefixes`: a list of strings of 1 to 20 digits.
    Prefixes,
    /// `numbers.national_prefix`, `numbers.country_code`: 1 to 20 digits in quotes; the
    /// example shown.
    Digits(&'static str),
    /// `numbers.min_digits`: 0 to 20.
    MinDigits,
    /// `sessions.max_open`: 1 or more.
    Count,
}

/// Every key of `ratel.toml`: its section (`""` for the top level), name and form. The
/// sections' keys are the fields of [`File`]'s sections, in the same order.
pub(super) const SETTINGS: [(&str, &str, Form); 33] = [
    ("", "listen", Form::Address("127.0.0.1:8080")),
    ("", "admin_listen", Form::Address("127.0.0.1:9090")),
    ("", "workers", Form::Threads),
    ("", "web_dir", Form::WebDir),
    ("", "default_currency", Form::Currency),
    ("", "access_log", Form::AccessLog),
    ("data", "artifact", Form::File("tariffs.ratel")),
    ("data", "users", Form::File("users.csv")),
    ("data", "cards", Form::File("cards.csv")),
    ("data", "card_groups", Form::File("card_groups.csv")),
    ("data", "currencies", Form::File("currencies.csv")),
    ("api", "enabled", Form::Bool),
    ("api", "secret_key", Form::Secret),
    ("api", "allow_get", Form::Bool),
    ("api", "disable_hash_check", Form::Bool),
    ("api", "balance_over_http", Form::Bool),
    ("api", "rate_over_http", Form::Bool),
    ("api", "show_rates_for_users", Form::Bool),
    ("api", "allow_resellers_admin_tariffs", Form::Bool),
    ("api", "balance_decimals", Form::Decimals),
    ("api", "payments_over_api", Form::Bool),
    ("api", "native_token", Form::Token),
    ("api", "max_call_seconds", Form::Seconds),
    ("ledger", "path", Form::File("ledger.sqlite")),
    ("ledger", "create", Form::Bool),
    // A PostgreSQL URL may hold a password: never shown.
    ("ledger", "url", Form::Secret),
    ("numbers", "international_prefixes", Form::Prefixes),
    ("numbers", "national_prefix", Form::Digits("0")),
    ("numbers", "country_code", Form::Digits("370")),
    ("numbers", "min_digits", Form::MinDigits),
    ("sessions", "grant_s", Form::Seconds),
    ("sessions", "grace_s", Form::Seconds),
    ("sessions", "max_open", Form::Count),
];

/// The sections, `[name]` tables of settings.
pub(super) const SECTIONS: [&str; 5] = ["data", "api", "ledger", "numbers", "sessions"];

/// The sections as a message lists them: `[data], [api], [ledger], [numbers] and
/// [sessions]`.
fn sections_listed() -> String {
    let names: Vec<String> = SECTIONS.iter().map(|s| format!("[{s}]")).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// The longest prefix or code `[numbers]` takes, in digits: a number is matched on 20.
const MAX_CODE_DIGITS: usize = 20;

/// Whether `text` is 1 to [`MAX_CODE_DIGITS`] ASCII digits.
fn is_code(text: &str) -> bool {
    (1..=MAX_CODE_DIGITS).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// The shortest `api.native_token` taken: a shorter one can be guessed.
pub(super) const MIN_TOKEN_CHARS: usize = 16;

/// Whether a key of this name holds a secret, wherever it is written.
pub(super) fn is_secret(name: &str) -> bool {
    name == "secret_key" || name == "native_token"
}

/// `section.name`, or `name` at the top level.
pub(super) fn dotted(section: &str, name: &str) -> String {
    match section {
        "" => name.to_owned(),
        section => format!("{section}.{name}"),
    }
}

/// A refused configuration: where (a byte offset into the text), and the message.
#[derive(Debug)]
pub(super) struct Problem {
    pub(super) at: Option<usize>,
    pub(super) message: String,
}

/// Checks `text` against [`SETTINGS`], key by key in the order written; the first mistake
/// is the error. Returns the secrets it holds, for [`Config::parse`] to keep out of messages.
pub(super) fn check(text: &str) -> Result<Secrets, Problem> {
    let document = ImDocument::parse(text).map_err(|error| syntax_problem(text, &error))?;
    let root = document.as_table();
    let secrets = Secrets::of(root);
    for (key, item) in entries(root) {
        let name = key.get();
        if !SECTIONS.contains(&name) {
            check_setting("", key, item, &secrets)?;
            continue;
        }
        let Some(section) = item.as_table_like() else {
            return Err(Problem {
                at: value_at(key, item),
                message: format!("{name} must be a section ([{name}]), not {}", kind(item)),
            });
        };
        for (key, item) in entries(section) {
            check_setting(name, key, item, &secrets)?;
        }
    }
    Ok(secrets)
}

/// Checks one key of `section` and its value.
pub(super) fn check_setting(
    section: &str,
    key: &Key,
    item: &Item,
    secrets: &Secrets,
) -> Result<(), Problem> {
    let name = key.get();
    let Some(&(_, _, form)) = SETTINGS
        .iter()
        .find(|(s, setting, _)| *s == section && *setting == name)
    else {
        return Err(Problem {
            at: key.span().or_else(|| item.span()).map(|span| span.start),
            message: not_a_setting(section, name, item.is_table_like()),
        });
    };
    let checked = match item {
        Item::Value(value) => form.check(value),
        _ => Err(form.wrong_kind(kind(item))),
    };
    checked.map_err(|fault| Problem {
        at: value_at(key, item),
        message: fault.message(&dotted(section, name), secrets),
    })
}

/// Where `item`'s value starts, or its key when it has no place of its own (a table).
pub(super) fn value_at(key: &Key, item: &Item) -> Option<usize> {
    item.as_value()
        .and_then(Value::span)
        .or_else(|| key.span())
        .map(|span| span.start)
}

/// The keys and items of `table`, in the order written.
pub(super) fn entries(table: &dyn TableLike) -> impl Iterator<Item = (&Key, &Item)> {
    table
        .iter()
        .filter_map(move |(name, _)| table.get_key_value(name))
}

/// What `item` is, said as in "must be a number, not a string".
pub(super) fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(value) => kind_of(value),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "a list of tables",
    }
}

/// [`kind`] of a value.
pub(super) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a number",
        Value::Float(_) => "a decimal number",
        Value::Boolean(b) if *b.value() => "true",
        Value::Boolean(_) => "false",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::InlineTable(_) => "a table",
    }
}

/// The message for `name`, written in `section` (`""`: the top level), which is not a
/// setting there: where it belongs if it is a setting elsewhere, else the closest setting's
/// name, else the settings there are.
pub(super) fn not_a_setting(section: &str, name: &str, table: bool) -> String {
    let path = dotted(section, name);
    let not = match section {
        "" => "is not a top-level setting",
        _ => "is not a setting",
    };
    if let Some((home, ..)) = SETTINGS.iter().find(|(_, setting, _)| *setting == name) {
        return match *home {
            "" => format!("{path} {not}; it belongs at the top level, before the first [section]"),
            home => format!("{path} {not}; it belongs in [{home}]"),
        };
    }
    if section.is_empty() && table {
        return match closest(name, SECTIONS.iter().map(|s| ("", *s))) {
            Some(similar) => format!("[{name}] is not a section; did you mean [{similar}]?"),
            None => format!(
                "[{name}] is not a section (those are {})",
                sections_listed()
            ),
        };
    }
    let here = SETTINGS.iter().filter(|(s, ..)| *s == section);
    let elsewhere = SETTINGS.iter().filter(|(s, ..)| *s != section);
    let similar = closest(name, here.clone().map(|(s, key, _)| (*s, *key)))
        .or_else(|| closest(name, elsewhere.map(|(s, key, _)| (*s, *key))));
    if let Some(similar) = similar {
        return format!("{path} {not}; did you mean {similar}?");
    }
    let keys: Vec<&str> = here.map(|(_, key, _)| *key).collect();
    match section {
        "" => format!(
            "{path} {not} (those are {}, and the sections {})",
            keys.join(", "),
            sections_listed()
        ),
        section => format!(
            "{path} {not} (the settings of [{section}] are {})",
            keys.join(", ")
        ),
    }
}

/// The dotted name of the candidate `(section, key)` closest to `name`, if one is close
/// enough to be a misspelling of it: case, `-` for `_`, and at most one edit (two for names
/// of five characters or more; a swap of two neighbours is one).
pub(super) fn closest<'a>(
    name: &str,
    candidates: impl Iterator<Item = (&'a str, &'a str)>,
) -> Option<String> {
    let normal = |s: &str| -> Vec<char> {
        s.chars()
            .map(|c| {
                if c == '-' {
                    '_'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    };
    let name = normal(name);
    candidates
        .map(|(section, key)| (edits(&name, &normal(key)), section, key))
        .filter(|&(edits, _, key)| edits <= if key.len() < 5 { 1 } else { 2 })
        .min_by_key(|&(edits, ..)| edits)
        .map(|(_, section, key)| dotted(section, key))
}

/// The edits (insertion, deletion, substitution, swap of neighbours) from `a` to `b`.
pub(super) fn edits(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![(0..=b.len()).collect::<Vec<usize>>()];
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let change = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (rows[i - 1][j] + 1)
                .min(row[j - 1] + 1)
                .min(rows[i - 1][j - 1] + change);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(rows[i - 2][j - 2] + 1);
            }
        }
        rows.push(row);
    }
    rows[a.len()][b.len()]
}

/// Why a value was refused: what it must be, and what it is instead.
#[derive(Debug)]
pub(super) struct Fault {
    /// After "must be".
    must: String,
    not: Not,
}

/// What a refused value is instead.
#[derive(Debug)]
pub(super) enum Not {
    /// Its kind ("a string").
    Kind(&'static str),
    /// The value, as written (`"localhost"`, `12`), unless it could quote a secret.
    Value(String),
    /// Nothing: the value is a secret.
    Hidden,
}

/// A refused string as a message shows it: quoted, unless it spans lines (where it could
/// have swallowed other keys, a secret among them).
pub(super) fn quoted(text: &str) -> Not {
    match text.contains('\n') {
        true => Not::Kind("a string of several lines"),
        false => Not::Value(format!("{text:?}")),
    }
}

impl Fault {
    fn message(self, path: &str, secrets: &Secrets) -> String {
        let Fault { must, not } = self;
        match not {
            Not::Kind(kind) => format!("{path} must be {must}, not {kind}"),
            Not::Hidden => format!("{path} must be {must} (its value is not shown)"),
            Not::Value(value) => match secrets.quoted_in(&value) {
                None => format!("{path} must be {must}, not {value}"),
                Some(secret) => format!(
                    "{path} must be {must}; the value is not shown (it could quote {secret})"
                ),
            },
        }
    }
}

impl Form {
    /// What the value must be, after "must be".
    fn expected(self) -> String {
        match self {
            Form::Address(like) => {
                format!("an IP address and port in double quotes (like \"{like}\")")
            }
            Form::Threads => "a whole number of threads (like 4, or 0 for one per core)".into(),
            Form::WebDir => "a path in double quotes (like \"/billing\")".into(),
            Form::Currency => "1 to 16 letters or digits in double quotes (like \"USD\")".into(),
            Form::AccessLog => {
                "a file path in double quotes, \"-\" for stderr or \"\" for none".into()
            }
            Form::File(like) => format!("a file path in double quotes (like \"{like}\")"),
            Form::Bool => "true or false".into(),
            Form::Secret | Form::Token => "a string in double quotes".into(),
            Form::Decimals => "a whole number of decimal places from 0 to 8 (like 4)".into(),
            Form::Seconds => "a whole number of seconds (like 7200)".into(),
            Form::Prefixes => {
                "a list of digit strings in double quotes (like [\"00\", \"011\"])".into()
            }
            Form::Digits(like) => format!("1 to 20 digits in double quotes (like \"{like}\")"),
            Form::MinDigits => "a whole number of digits from 0 to 20 (like 5)".into(),
            Form::Count => "a whole number, 1 or more (like 1000000)".into(),
        }
    }

    /// The fault of a value of the wrong kind.
    fn wrong_kind(self, kind: &'static str) -> Fault {
        let not = match self {
            Form::Secret | Form::Token => Not::Hidden,
            _ => Not::Kind(kind),
        };
        Fault {
            must: self.expected(),
            not,
        }
    }

    /// The fault of a value of the right kind but refused (`shown` as in the message),
    /// with what it must be instead.
    fn refused(self, must: impl Into<String>, shown: Not) -> Fault {
        let not = match self {
            Form::Secret | Form::Token => Not::Hidden,
            _ => shown,
        };
        Fault {
            must: must.into(),
            not,
        }
    }

    fn string(self, value: &Value) -> Result<&str, Fault> {
        value
            .as_str()
            .ok_or_else(|| self.wrong_kind(kind_of(value)))
    }

    fn integer(self, value: &Value) -> Result<i64, Fault> {
        value
            .as_integer()
            .ok_or_else(|| self.wrong_kind(kind_of(value)))
    }

    /// Whether `value` is of this form.
    fn check(self, value: &Value) -> Result<(), Fault> {
        match self {
            Form::Address(_) => {
                let text = self.string(value)?;
                match text.parse::<SocketAddr>() {
                    Ok(_) => Ok(()),
                    Err(_) => Err(self.refused(self.expected(), quoted(text))),
                }
            }
            Form::Threads => {
                let threads = self.integer(value)?;
                match usize::try_from(threads) {
                    Ok(_) => Ok(()),
                    Err(_) => Err(self.refused(self.expected(), Not::Value(threads.to_string()))),
                }
            }
            Form::WebDir => {
                let dir = self.string(value)?;
                let under_v1 = {
                    let dir = dir.trim_end_matches('/');
                    dir == "/v1" || dir.starts_with("/v1/")
                };
                let must = if !dir.starts_with('/') {
                    "a path starting with / (like \"/billing\")"
                } else if dir.contains(|c: char| c.is_whitespace() || c == '?' || c == '#') {
                    "a path without spaces, ? or # (like \"/billing\")"
                } else if dir
                    .trim_end_matches('/')
                    .split('/')
                    .skip(1)
                    .any(|segment| segment.is_empty() || segment == "." || segment == "..")
                {
                    "a path of named segments, without // or . or .. (like \"/billing\")"
                } else if under_v1 {
                    "a path outside /v1, where the JSON API answers (like \"/billing\")"
                } else {
                    return Ok(());
                };
                Err(self.refused(must, quoted(dir)))
            }
            Form::Currency => {
                let code = self.string(value)?;
                match ratel_engine::accounts::is_valid_code(code) {
                    true => Ok(()),
                    false => Err(self.refused(self.expected(), quoted(code))),
                }
            }
            Form::AccessLog | Form::File(_) | Form::Secret => self.string(value).map(drop),
            Form::Bool => match value.as_bool() {
                Some(_) => Ok(()),
                None => Err(self.wrong_kind(kind_of(value))),
            },
            Form::Token => {
                let token = self.string(value)?;
                let must = if token.trim() != token {
                    "a token with no space at either end: tokens received are trimmed, so no \
                     request could match it"
                        .to_owned()
                } else if token.chars().any(char::is_control) {
                    "a token without control characters (a newline, a tab, NUL or DEL): no \
                     request header can carry them"
                        .to_owned()
                } else if !token.is_empty() && token.chars().count() < MIN_TOKEN_CHARS {
                    format!(
                        "at least {MIN_TOKEN_CHARS} characters long, or \"\" to turn the JSON API \
                         off: a short token can be guessed"
                    )
                } else {
                    return Ok(());
                };
                Err(self.refused(must, Not::Hidden))
            }
            Form::Decimals => {
                let places = self.integer(value)?;
                match (0..=8).contains(&places) {
                    true => Ok(()),
                    false => Err(self.refused(self.expected(), Not::Value(places.to_string()))),
                }
            }
            Form::Prefixes => {
                let Some(list) = value.as_array() else {
                    return Err(self.wrong_kind(kind_of(value)));
                };
                for item in list.iter() {
                    let Some(text) = item.as_str() else {
                        return Err(self.refused(
                            self.expected(),
                            Not::Kind(match kind_of(item) {
                                "a number" => "a list holding a number",
                                "a list" => "a list holding a list",
                                _ => "a list holding something else than a string",
                            }),
                        ));
                    };
                    if !is_code(text) {
                        return Err(self.refused(
                            "a list of prefixes of 1 to 20 digits each (like [\"00\", \"011\"])",
                            quoted(text),
                        ));
                    }
                }
                Ok(())
            }
            Form::Digits(_) => {
                let text = self.string(value)?;
                match is_code(text) {
                    true => Ok(()),
                    false => Err(self.refused(self.expected(), quoted(text))),
                }
            }
            Form::Count => {
                let count = self.integer(value)?;
                match usize::try_from(count) {
                    Ok(count) if count >= 1 => Ok(()),
                    _ => Err(self.refused(self.expected(), Not::Value(count.to_string()))),
                }
            }
            Form::MinDigits => {
                let digits = self.integer(value)?;
                match (0..=MAX_CODE_DIGITS as i64).contains(&digits) {
                    true => Ok(()),
                    false => Err(self.refused(self.expected(), Not::Value(digits.to_string()))),
                }
            }
            Form::Seconds => {
                let seconds = self.integer(value)?;
                match u32::try_from(seconds) {
                    Ok(_) => Ok(()),
                    Err(_) => Err(self.refused(
                        format!("a whole number of seconds up to {} (like 7200)", u32::MAX),
                        Not::Value(seconds.to_string()),
                    )),
                }
            }
        }
    }
}

/// The secret values a document holds (a `secret_key` or `native_token` wherever written),
/// by dotted name: no message quotes them.
#[derive(Debug, Default)]
pub(super) struct Secrets(Vec<(String, String)>);

impl Secrets {
    fn of(root: &dyn TableLike) -> Secrets {
        let mut secrets = Secrets::default();
        secrets.gather(root, "");
        secrets
    }

    fn gather(&mut self, table: &dyn TableLike, path: &str) {
        for (key, item) in entries(table) {
            let path = dotted(path, key.get());
            match item {
                Item::Value(Value::String(value)) if is_secret(key.get()) => {
                    if !value.value().is_empty() {
                        self.0.push((path, value.value().clone()));
                    }
                }
                Item::ArrayOfTables(tables) => {
                    for table in tables {
                        self.gather(table, &path);
                    }
                }
                Item::Value(Value::Array(values)) => {
                    for table in values.iter().filter_map(Value::as_inline_table) {
                        self.gather(table, &path);
                    }
                }
                item => {
                    if let Some(table) = item.as_table_like() {
                        self.gather(table, &path);
                    }
                }
            }
        }
    }

    /// The dotted name of a secret whose value is in `text`.
    pub(super) fn quoted_in(&self, text: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(_, value)| text.contains(value.as_str()))
            .map(|(path, _)| path.as_str())
    }
}

/// A TOML syntax error as a [`Problem`]: its place and `toml_edit`'s message (which names
/// keys at most, never a value; the source snippet it would print is not used). An error in
/// a key's value names the key, and is placed at the key when it is noticed on a later line
/// (a string left open, found at the end of the file); an error in a secret's value says
/// only that it must be a string.
pub(super) fn syntax_problem(text: &str, error: &toml_edit::TomlError) -> Problem {
    let message = one_line(error.message());
    let at = error.span().map(|span| span.start.min(text.len()));
    let Some((at, statement)) = at.and_then(|at| {
        statement_at(text, at)
            .filter(|s| at >= s.value_at)
            .map(|s| (at, s))
    }) else {
        return Problem {
            at,
            message: format!("this is not valid TOML ({message})"),
        };
    };
    let line = |at: usize| text.get(..at).unwrap_or(text).matches('\n').count();
    let at = match line(at) == line(statement.key_at) {
        true => at,
        false => statement.key_at,
    };
    let path = statement.path.join(".");
    let form = SETTINGS
        .iter()
        .find(|(section, setting, _)| dotted(section, setting) == path)
        .map(|&(_, _, form)| form);
    let message = if statement.path.last().is_some_and(|name| is_secret(name)) {
        format!("{path} must be a string in double quotes (its value is not shown)")
    } else if let Some(form) = form {
        format!(
            "{path} must be {}; this is not valid TOML ({message})",
            form.expected()
        )
    } else {
        format!("{path}: this is not valid TOML ({message})")
    };
    Problem {
        at: Some(at),
        message,
    }
}

/// The key a statement sets, with where the key and its value start.
#[derive(Debug)]
pub(super) struct Statement {
    /// The key's dotted path, its table's keys first.
    path: Vec<String>,
    key_at: usize,
    value_at: usize,
}

/// The key whose statement holds `at`, in a text that does not parse. The statement starts
/// at the last line before `at` that the text before it parses to; its key is found by
/// parsing that text and the statement's first line cut after one of its `=`, with the value
/// `0` (and, should it be in an inline table, a closing `}`): the last `=` for which that
/// parses (a quoted key or a value may hold an `=` too).
pub(super) fn statement_at(text: &str, at: usize) -> Option<Statement> {
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(newline, _)| newline + 1))
        .take_while(|&start| start <= at)
        .collect();
    let start = line_starts
        .into_iter()
        .rev()
        .find(|&start| ImDocument::parse(&text[..start]).is_ok())?;
    let line = text[start..].split('\n').next().unwrap_or_default();
    line.match_indices('=').rev().find_map(|(equals, _)| {
        let cut = start + equals + 1;
        ["", " }", " }}"].iter().find_map(|close| {
            let probe = format!("{} 0{close}\n", &text[..cut]);
            let document = ImDocument::parse(probe.as_str()).ok()?;
            let mut path = Vec::new();
            let key_at = key_of_value(document.as_table(), cut + 1, &mut path)?;
            Some(Statement {
                path,
                key_at,
                value_at: cut + 1,
            })
        })
    })
}

/// Where the key of the value that starts at `at` starts, its path left in `path`.
pub(super) fn key_of_value(
    table: &dyn TableLike,
    at: usize,
    path: &mut Vec<String>,
) -> Option<usize> {
    for (key, item) in entries(table) {
        path.push(key.get().to_owned());
        if item.as_value().and_then(Value::span).map(|span| span.start) == Some(at) {
            return key.span().map(|span| span.start);
        }
        if let Some(found) = item
            .as_table_like()
            .and_then(|table| key_of_value(table, at, path))
        {
            return Some(found);
        }
        path.pop();
    }
    None
}

/// `:line:column` (from 1, columns in characters) of the byte `at` of `text`.
pub(super) fn position(text: &str, at: usize) -> String {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |newline| &before[newline + 1..])
        .chars()
        .count()
        + 1;
    format!(":{line}:{column}")
}

/// A `toml` message on one line.
pub(super) fn one_line(message: &str) -> String {
    message.trim_end().replace('\n', ", ")
}
