//! `ratel.toml` (docs/config.md): every key has a default; data paths are relative to the file.
//!
//! The text is read twice. First as a document that keeps the place of every key and value
//! ([`toml_edit::ImDocument`]), checked against [`SETTINGS`]: an unknown key, a key in the
//! wrong section, a value of the wrong type or out of range is refused with a message that
//! names the file, the key's line and column, the key's full dotted name and what its value
//! must be. Then by serde into [`File`] (unknown keys refused, defaults filled in), which a
//! checked document always passes. The values of the secrets (`api.secret_key`,
//! `api.native_token`) are never printed, and hiding them never moves an error to another key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ratel_engine::accounts::AccountFiles;
use ratel_engine::mor_api::ApiSettings;
use ratel_engine::snapshot::DataFiles;
use serde::Deserialize;
use toml_edit::{ImDocument, Item, Key, TableLike, Value};

/// The server's configuration, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    /// Coroutine worker threads; 0 in the file means one per core.
    pub workers: usize,
    /// Path prefix of the API, like `/billing` (no trailing slash).
    pub web_dir: String,
    pub data: DataFiles,
    pub api: ApiSettings,
    /// The ledger file (`[ledger] path`, relative to the configuration file).
    pub ledger: PathBuf,
    /// `[ledger] create`: `true` (the default) creates a missing ledger file; `false` (for
    /// production) makes a missing ledger a startup error.
    pub ledger_create: bool,
    /// Where the access log goes: `None` off (the default), `-` stderr, or a file path
    /// (relative to the configuration file).
    pub access_log: Option<String>,
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    /// `path` is the file's name and, when known, `:line:column`.
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct File {
    listen: String,
    admin_listen: String,
    workers: usize,
    web_dir: String,
    default_currency: String,
    access_log: String,
    data: DataSection,
    api: ApiSettings,
    ledger: LedgerSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct LedgerSection {
    path: PathBuf,
    create: bool,
}

impl Default for LedgerSection {
    fn default() -> LedgerSection {
        LedgerSection {
            path: "ledger.sqlite".into(),
            create: true,
        }
    }
}

impl Default for File {
    fn default() -> File {
        File {
            listen: "127.0.0.1:8080".into(),
            admin_listen: "127.0.0.1:9090".into(),
            workers: 0,
            web_dir: "/billing".into(),
            default_currency: "USD".into(),
            access_log: String::new(),
            data: DataSection::default(),
            api: ApiSettings::default(),
            ledger: LedgerSection::default(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct DataSection {
    artifact: PathBuf,
    users: PathBuf,
    cards: PathBuf,
    card_groups: PathBuf,
    currencies: PathBuf,
}

impl Default for DataSection {
    fn default() -> DataSection {
        DataSection {
            artifact: "tariffs.ratel".into(),
            users: "users.csv".into(),
            cards: "cards.csv".into(),
            card_groups: "card_groups.csv".into(),
            currencies: "currencies.csv".into(),
        }
    }
}

impl Config {
    /// Reads and validates the configuration at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        Config::parse(&text, path.parent().unwrap_or(Path::new(".")), &shown)
    }

    /// Parses configuration text; relative data paths are taken from `base`. `shown` names
    /// the file in errors.
    pub fn parse(text: &str, base: &Path, shown: &str) -> Result<Config, ConfigError> {
        let invalid = |at: Option<usize>, message: String| ConfigError::Invalid {
            path: format!(
                "{shown}{}",
                at.map(|at| position(text, at)).unwrap_or_default()
            ),
            message,
        };
        let secrets = check(text).map_err(|problem| invalid(problem.at, problem.message))?;
        // A checked document deserializes; were it not to, the message still quotes no secret.
        let file: File = toml::from_str(text).map_err(|error| {
            let message = one_line(error.message());
            let message = match secrets.quoted_in(&message) {
                Some(secret) => format!(
                    "invalid configuration (the message is not shown: it could quote {secret})"
                ),
                None => message,
            };
            invalid(error.span().map(|span| span.start), message)
        })?;
        let address = |key: &str, value: &str| {
            value
                .parse::<SocketAddr>()
                .map_err(|_| invalid(None, format!("{key} is not an address")))
        };
        let at = |p: &PathBuf| base.join(p);
        let access_log = match file.access_log.as_str() {
            "" => None,
            "-" => Some("-".to_owned()),
            path => Some(base.join(path).display().to_string()),
        };
        let d = &file.data;
        Ok(Config {
            listen: address("listen", &file.listen)?,
            admin_listen: address("admin_listen", &file.admin_listen)?,
            workers: file.workers,
            web_dir: file.web_dir.trim_end_matches('/').to_owned(),
            access_log,
            data: DataFiles {
                artifact: at(&d.artifact),
                accounts: AccountFiles {
                    users: at(&d.users),
                    cards: at(&d.cards),
                    card_groups: at(&d.card_groups),
                    currencies: at(&d.currencies),
                },
                default_currency: file.default_currency,
                ledger: None,
            },
            ledger: at(&file.ledger.path),
            ledger_create: file.ledger.create,
            api: file.api,
        })
    }
}

/// What a setting's value must be: how it is checked, and how an error says it.
#[derive(Debug, Clone, Copy)]
enum Form {
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
}

/// Every key of `ratel.toml`: its section (`""` for the top level), name and form. The
/// sections' keys are the fields of [`File`]'s sections, in the same order.
const SETTINGS: [(&str, &str, Form); 25] = [
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
];

/// The sections, `[name]` tables of settings.
const SECTIONS: [&str; 3] = ["data", "api", "ledger"];

/// The shortest `api.native_token` taken: a shorter one can be guessed.
const MIN_TOKEN_CHARS: usize = 16;

/// Whether a key of this name holds a secret, wherever it is written.
fn is_secret(name: &str) -> bool {
    name == "secret_key" || name == "native_token"
}

/// `section.name`, or `name` at the top level.
fn dotted(section: &str, name: &str) -> String {
    match section {
        "" => name.to_owned(),
        section => format!("{section}.{name}"),
    }
}

/// A refused configuration: where (a byte offset into the text), and the message.
#[derive(Debug)]
struct Problem {
    at: Option<usize>,
    message: String,
}

/// Checks `text` against [`SETTINGS`], key by key in the order written; the first mistake
/// is the error. Returns the secrets it holds, for [`Config::parse`] to keep out of messages.
fn check(text: &str) -> Result<Secrets, Problem> {
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
fn check_setting(section: &str, key: &Key, item: &Item, secrets: &Secrets) -> Result<(), Problem> {
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
fn value_at(key: &Key, item: &Item) -> Option<usize> {
    item.as_value()
        .and_then(Value::span)
        .or_else(|| key.span())
        .map(|span| span.start)
}

/// The keys and items of `table`, in the order written.
fn entries(table: &dyn TableLike) -> impl Iterator<Item = (&Key, &Item)> {
    table
        .iter()
        .filter_map(move |(name, _)| table.get_key_value(name))
}

/// What `item` is, said as in "must be a number, not a string".
fn kind(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(value) => kind_of(value),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "a list of tables",
    }
}

/// [`kind`] of a value.
fn kind_of(value: &Value) -> &'static str {
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
fn not_a_setting(section: &str, name: &str, table: bool) -> String {
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
            None => format!("[{name}] is not a section (those are [data], [api] and [ledger])"),
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
            "{path} {not} (those are {}, and the sections [data], [api] and [ledger])",
            keys.join(", ")
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
fn closest<'a>(name: &str, candidates: impl Iterator<Item = (&'a str, &'a str)>) -> Option<String> {
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
fn edits(a: &[char], b: &[char]) -> usize {
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
struct Fault {
    /// After "must be".
    must: String,
    not: Not,
}

/// What a refused value is instead.
#[derive(Debug)]
enum Not {
    /// Its kind ("a string").
    Kind(&'static str),
    /// The value, as written (`"localhost"`, `12`), unless it could quote a secret.
    Value(String),
    /// Nothing: the value is a secret.
    Hidden,
}

/// A refused string as a message shows it: quoted, unless it spans lines (where it could
/// have swallowed other keys, a secret among them).
fn quoted(text: &str) -> Not {
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
struct Secrets(Vec<(String, String)>);

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
    fn quoted_in(&self, text: &str) -> Option<&str> {
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
fn syntax_problem(text: &str, error: &toml_edit::TomlError) -> Problem {
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
struct Statement {
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
fn statement_at(text: &str, at: usize) -> Option<Statement> {
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
fn key_of_value(table: &dyn TableLike, at: usize, path: &mut Vec<String>) -> Option<usize> {
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
fn position(text: &str, at: usize) -> String {
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
fn one_line(message: &str) -> String {
    message.trim_end().replace('\n', ", ")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for section in ["", "data", "api", "ledger"] {
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
            error(
                "workers = 2\nnative_token = \"0123456789abcdef\"\n\n[api]\nsecret_key = \"s\"\n"
            ),
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
            "ratel.toml:2:1: ledger.foo is not a setting (the settings of [ledger] are path, create)"
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
}
