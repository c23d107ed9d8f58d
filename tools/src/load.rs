//! Load-test helpers behind `ratel-load` (driven by `benches/load/run.sh`): request lists
//! for wrk with valid hashes, a check that a sample of them is answered with success pages,
//! and an abuser (slowloris connections and a stream of malformed requests).
//!
//! Request lists are built from the same account files the server loads, through the
//! engine's own reader, so every request names a real user or card and answers a success
//! page; `check` proves that against the running server before any figure is taken.

use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use ratel_engine::accounts::visibility::{self, RateRules};
use ratel_engine::accounts::{Accounts, Password, Role, User};
use ratel_engine::auth::request_hash;

/// The endpoints the harness drives, each with its own request list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `rate_get` with `by_full_dst=1`: a dialed number, longest prefix.
    RateFull,
    /// `rate_get` with a prefix of the deck, matched exactly.
    RateExact,
    UserBalance,
    UserSimpleBalance,
    /// `calling_cards_get` filtered by one card number.
    CallingCards,
    CardBalance,
    BalancePhp,
}

impl Target {
    pub const ALL: [Target; 7] = [
        Target::RateFull,
        Target::RateExact,
        Target::UserBalance,
        Target::UserSimpleBalance,
        Target::CallingCards,
        Target::CardBalance,
        Target::BalancePhp,
    ];

    /// The request list's file stem, also the harness's row label.
    pub fn name(self) -> &'static str {
        match self {
            Target::RateFull => "rate_get_full",
            Target::RateExact => "rate_get_exact",
            Target::UserBalance => "user_balance_get",
            Target::UserSimpleBalance => "user_simple_balance_get",
            Target::CallingCards => "calling_cards_get",
            Target::CardBalance => "card_balance_get",
            Target::BalancePhp => "balance_php",
        }
    }

    pub fn from_name(name: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Whether `body` is this endpoint's success answer, or (for a dialed number, where some
    /// numbers match no prefix) its no-match answer, or an error page.
    pub fn classify(self, body: &str) -> Answer {
        if self.is_success(body) {
            Answer::Success
        } else if self == Target::RateFull && body.contains("<error>Rate was not found</error>") {
            Answer::NoMatch
        } else {
            Answer::Error
        }
    }

    /// Whether `body` is this endpoint's success answer (not one of its error pages).
    pub fn is_success(self, body: &str) -> bool {
        let amount = |text: &str| {
            let digits = text.strip_prefix('-').unwrap_or(text);
            digits.split_once('.').is_some_and(|(whole, places)| {
                !whole.is_empty()
                    && !places.is_empty()
                    && whole
                        .bytes()
                        .chain(places.bytes())
                        .all(|b| b.is_ascii_digit())
            })
        };
        match self {
            Target::RateFull | Target::RateExact => body.contains("<rate>"),
            Target::UserBalance => body.contains("<balance>"),
            Target::UserSimpleBalance => amount(body),
            Target::CallingCards => body.contains("<card_number>"),
            Target::CardBalance => body.contains("<calling_card>"),
            // Formats 2-4 all end in the balance: "...|Balance=1.00", "EUR 1.00", "1.00".
            Target::BalancePhp => body.rsplit(['=', ' ']).next().is_some_and(amount),
        }
    }
}

/// What a response says, for the harness's answer check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Success,
    /// A dialed number that matches no prefix of the deck: a correct answer, if not most of
    /// them.
    NoMatch,
    Error,
}

/// Inputs to request generation.
#[derive(Debug)]
pub struct RequestData<'a> {
    pub accounts: &'a Accounts,
    /// Dialed numbers (`numbers.txt`).
    pub numbers: &'a [String],
    /// For each tariff given, the prefixes of its deck that have a row in force now; exact
    /// `rate_get` requests ask users for prefixes of their own tariff.
    pub prefixes: &'a std::collections::BTreeMap<String, Vec<String>>,
    pub secret: &'a str,
    /// The server's `web_dir`, such as `/billing`.
    pub web_dir: &'a str,
}

/// The percent-encoding of a query value (RFC 3986 unreserved characters stay).
fn encode(value: &str, out: &mut String) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

fn hash(values: &[&str], key: &str) -> String {
    let values: Vec<&[u8]> = values.iter().map(|v| v.as_bytes()).collect();
    String::from_utf8_lossy(&request_hash(&values, key.as_bytes())).into_owned()
}

/// A path with query: `base` then `name=value` pairs, values percent-encoded.
fn path(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(128);
    out.push_str(base);
    for (i, (name, value)) in pairs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        encode(value, &mut out);
    }
    out
}

/// Plain users with a tariff whose rates the admin may read (the engine's own rule).
fn rated_users(accounts: &Accounts) -> Vec<&User> {
    let admin = accounts.admin();
    accounts
        .users()
        .iter()
        .filter(|u| u.role == Role::User && u.tariff.is_some())
        .filter(|u| visibility::rates_of(admin.id, RateRules::default(), admin, u).is_ok())
        .collect()
}

/// `count` request paths for `target`, cycling through the data so that consecutive
/// requests name different numbers, users and cards. Empty when the data has nothing to ask
/// for (no users with a tariff, say).
pub fn requests(target: Target, data: &RequestData<'_>, count: usize) -> Vec<String> {
    let api = format!("{}/api", data.web_dir);
    let accounts = data.accounts;
    let key = data.secret;
    let users = accounts.users();
    let cards = accounts.cards();
    let mut out = Vec::with_capacity(count);
    match target {
        Target::RateFull | Target::RateExact => {
            let admin = &accounts.admin().username;
            let no_prefixes = Vec::new();
            let dialed = |user: &User| -> &[String] {
                match target {
                    Target::RateFull => data.numbers,
                    _ => user
                        .tariff
                        .as_ref()
                        .and_then(|t| data.prefixes.get(t))
                        .unwrap_or(&no_prefixes),
                }
            };
            let rated: Vec<&User> = rated_users(accounts)
                .into_iter()
                .filter(|u| !dialed(u).is_empty())
                .collect();
            if rated.is_empty() {
                return out;
            }
            for i in 0..count {
                let user = rated[i % rated.len()];
                let numbers = dialed(user);
                let name = user.username.as_str();
                let mut pairs = vec![
                    ("u", admin.as_str()),
                    ("username", name),
                    ("prefix", numbers[i % numbers.len()].as_str()),
                ];
                if target == Target::RateFull {
                    pairs.push(("by_full_dst", "1"));
                }
                let signature = hash(&[name], key);
                pairs.push(("hash", &signature));
                out.push(path(&format!("{api}/rate_get"), &pairs));
            }
        }
        Target::UserBalance => {
            for (i, user) in users.iter().cycle().take(count).enumerate() {
                let name = user.username.as_str();
                // A quarter in EUR, a quarter in the user's own currency.
                let signature;
                let pairs: Vec<(&str, &str)> = match i % 4 {
                    0 => {
                        signature = hash(&[name, "EUR"], key);
                        vec![
                            ("username", name),
                            ("currency", "EUR"),
                            ("hash", &signature),
                        ]
                    }
                    1 => {
                        signature = hash(&[name], key);
                        vec![
                            ("username", name),
                            ("user_currency", "1"),
                            ("hash", &signature),
                        ]
                    }
                    _ => {
                        signature = hash(&[name], key);
                        vec![("username", name), ("hash", &signature)]
                    }
                };
                out.push(path(&format!("{api}/user_balance_get"), &pairs));
            }
        }
        Target::UserSimpleBalance => {
            let hashes: Vec<&str> = users
                .iter()
                .filter_map(|u| u.unique_hash.as_deref())
                .collect();
            for (i, id) in hashes.iter().cycle().take(count).enumerate() {
                // Both spellings: the query form and the path form.
                out.push(if i % 2 == 0 {
                    path(&format!("{api}/user_simple_balance_get"), &[("id", id)])
                } else {
                    path(&format!("{api}/simple_balance/{id}"), &[])
                });
            }
        }
        Target::CallingCards => {
            let admin = &accounts.admin().username;
            let signature = hash(&[], key);
            let listed = cards.iter().filter(|c| !c.hidden);
            for card in listed.cycle().take(count) {
                out.push(path(
                    &format!("{api}/calling_cards_get"),
                    &[("u", admin), ("number", &card.number), ("hash", &signature)],
                ));
            }
        }
        Target::CardBalance => {
            let admin = &accounts.admin().username;
            for card in cards.iter().cycle().take(count) {
                let signature = hash(&[&card.number], key);
                out.push(path(
                    &format!("{api}/card_balance_get"),
                    &[("u", admin), ("number", &card.number), ("hash", &signature)],
                ));
            }
        }
        Target::BalancePhp => {
            let php = format!("{}/balance.php", data.web_dir);
            let fits = |text: &str| {
                (1..=20).contains(&text.len())
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'@')
            };
            // Three ways in, in turn: a card PIN, a user with a password, a user with a number.
            let pins: Vec<&str> = cards
                .iter()
                .map(|c| c.pin.as_str())
                .filter(|pin| fits(pin) && accounts.card_by_pin(pin).is_some())
                .collect();
            let with_password: Vec<(&str, &str)> = users
                .iter()
                .filter_map(|u| match &u.password {
                    Some(Password::Plain(p)) if fits(&u.username) && fits(p) => {
                        Some((u.username.as_str(), p.as_str()))
                    }
                    _ => None,
                })
                .collect();
            let with_number: Vec<(&str, &str)> = users
                .iter()
                .filter_map(|u| {
                    let number = u.numbers.first()?;
                    let digits = (1..=20).contains(&number.len())
                        && number.bytes().all(|b| b.is_ascii_digit());
                    (fits(&u.username) && digits).then_some((u.username.as_str(), number.as_str()))
                })
                .collect();
            let formats = ["2", "3", "4"];
            for i in 0..count {
                let format = formats[i % formats.len()];
                let pairs: Vec<(&str, &str)> = match i % 3 {
                    0 if !pins.is_empty() => vec![("uid", pins[i % pins.len()])],
                    1 if !with_password.is_empty() => {
                        let (uid, passwd) = with_password[i % with_password.len()];
                        vec![("uid", uid), ("passwd", passwd)]
                    }
                    _ if !with_number.is_empty() => {
                        let (uid, number) = with_number[i % with_number.len()];
                        vec![("uid", uid), ("e164num", number)]
                    }
                    _ => continue,
                };
                let mut pairs = pairs;
                pairs.push(("format", format));
                out.push(path(&php, &pairs));
            }
        }
    }
    out
}

/// Prefixes of a tariff CSV (`file` names it in errors) that have an undated row, so are
/// answerable at any time, in file order, without repeats. The deck is read by the engine's
/// own tariff reader; an invalid deck is an error naming file, line and column.
pub fn current_prefixes(deck: impl Read + Send, file: &str) -> Result<Vec<String>, String> {
    let mut errors = ratel_engine::input::ErrorList::new();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    ratel_engine::tariff::read_tariff(
        deck,
        file,
        &mut errors,
        |row| {
            if row.effective_from.is_none() && seen.insert(row.prefix.to_vec()) {
                out.push(String::from_utf8_lossy(row.prefix).into_owned());
            }
        },
        |_| {},
    );
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors.to_string())
    }
}

/// Lines of a text file, without empty ones.
pub fn read_lines(path: &Path) -> io::Result<Vec<String>> {
    let file = std::fs::File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    io::BufReader::new(file)
        .lines()
        .filter(|line| !matches!(line, Ok(l) if l.trim().is_empty()))
        .map(|line| line.map(|l| l.trim().to_owned()))
        .collect()
}

/// One HTTP/1.1 exchange on a fresh connection: the status code and the body.
pub fn get(addr: SocketAddr, path: &str, timeout: Duration) -> io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| io::Error::other("answer without an end of headers"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line: {head:.60}")))?;
    Ok((status, body.to_owned()))
}

/// What the reload loop did and what its probe saw.
#[derive(Debug, Default)]
pub struct ReloadReport {
    /// Renames of a deck over the artifact, each followed by a `SIGHUP`.
    pub swaps: u64,
    pub swap_failures: u64,
    /// The probe's answers, in order: the rate, or the whole body when it had none.
    pub samples: Vec<String>,
}

impl ReloadReport {
    /// Distinct answers the probe saw, sorted.
    pub fn distinct(&self) -> Vec<&str> {
        let mut seen: Vec<&str> = self.samples.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// How many times consecutive answers differed.
    pub fn changes(&self) -> usize {
        self.samples.windows(2).filter(|w| w[0] != w[1]).count()
    }
}

impl std::fmt::Display for ReloadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} swaps ({} failed); probe: {} answers, rates seen: {}, {} changes",
            self.swaps,
            self.swap_failures,
            self.samples.len(),
            self.distinct().join(" "),
            self.changes()
        )
    }
}

/// The reload-under-load loop: for `duration`, every `every`, link the next of `decks`
/// beside `artifact`, rename it over `artifact` (atomic) and send `SIGHUP` to `pid`;
/// meanwhile ask `probe` (a `rate_get` path) of the server at `addr` every `probe_every` and
/// record the rate.
#[derive(Debug)]
pub struct ReloadLoop<'a> {
    pub artifact: &'a Path,
    pub decks: &'a [std::path::PathBuf],
    pub pid: i32,
    pub addr: SocketAddr,
    pub probe: &'a str,
    pub every: Duration,
    pub probe_every: Duration,
    pub duration: Duration,
}

impl ReloadLoop<'_> {
    pub fn run(&self) -> ReloadReport {
        let ReloadLoop {
            artifact,
            decks,
            pid,
            addr,
            probe,
            every,
            probe_every,
            duration,
        } = *self;
        let deadline = Instant::now() + duration;
        let mut report = ReloadReport::default();
        std::thread::scope(|scope| {
            let swapper = scope.spawn(|| {
                let (mut swaps, mut failures) = (0, 0);
                let next = artifact.with_extension("next");
                let mut turn = 0;
                while Instant::now() < deadline && !decks.is_empty() {
                    let deck = &decks[turn % decks.len()];
                    turn += 1;
                    let _ = std::fs::remove_file(&next);
                    let swapped = std::fs::hard_link(deck, &next)
                        .and_then(|()| std::fs::rename(&next, artifact))
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            nix::sys::signal::kill(
                                nix::unistd::Pid::from_raw(pid),
                                nix::sys::signal::Signal::SIGHUP,
                            )
                            .map_err(|e| e.to_string())
                        });
                    match swapped {
                        Ok(()) => swaps += 1,
                        Err(_) => failures += 1,
                    }
                    std::thread::sleep(every);
                }
                (swaps, failures)
            });
            while Instant::now() < deadline {
                let answer = match get(addr, probe, Duration::from_secs(5)) {
                    Ok((_, body)) => body
                        .split_once("<rate>")
                        .and_then(|(_, rest)| rest.split_once('#'))
                        .map_or(body.clone(), |(rate, _)| rate.to_owned()),
                    Err(error) => format!("error: {error}"),
                };
                report.samples.push(answer);
                std::thread::sleep(probe_every);
            }
            (report.swaps, report.swap_failures) = swapper.join().unwrap_or((0, 0));
        });
        report
    }
}

/// Malformed requests the abuser sends, one per connection, in turn. Each must be refused
/// with a 4xx or 5xx (never served, never a crash).
pub const MALFORMED: &[&[u8]] = &[
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost x\r\n\r\n",
    b"POST /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"DELETE /billing/api/rate_get HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /billing/api/rate_get HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n",
    b"GET /no/such/path HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /billing/api/rate_get\x00 HTTP/1.1\r\n\r\n",
    b"GET / HTTP/9.9\r\n\r\n",
];

/// An oversize request line (over the 8 KiB head limit), built once.
fn oversize_request() -> Vec<u8> {
    let mut request = b"GET /billing/api/rate_get?prefix=".to_vec();
    request.resize(request.len() + 20_000, b'7');
    request.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    request
}

/// What the abuser saw.
#[derive(Debug, Default)]
pub struct AbuseReport {
    /// Half-open connections opened in all (the server closes each after its deadline, and
    /// the abuser opens another in its place).
    pub slowloris_opened: u64,
    /// Half-open connections that could not be opened.
    pub slowloris_failed: u64,
    /// Half-open connections the server closed (deadline reached).
    pub slowloris_closed_by_server: u64,
    pub malformed_sent: u64,
    /// Answers to malformed requests by status class: 4xx, 5xx, anything else.
    pub malformed_4xx: u64,
    pub malformed_5xx: u64,
    pub malformed_other: u64,
    /// Malformed requests that got no answer at all (connection refused, reset, timeout).
    pub malformed_unanswered: u64,
}

impl std::fmt::Display for AbuseReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "slowloris: {} opened, {} closed by the server, {} failed to open; malformed: {} sent, {} answered 4xx, {} answered 5xx, {} other, {} unanswered",
            self.slowloris_opened,
            self.slowloris_closed_by_server,
            self.slowloris_failed,
            self.malformed_sent,
            self.malformed_4xx,
            self.malformed_5xx,
            self.malformed_other,
            self.malformed_unanswered
        )
    }
}

/// Keeps `slowloris` half-sent requests open against `addr` for `duration` (each sends one
/// more header byte a second and is reopened when the server closes it), and meanwhile, on
/// a second thread, sends `malformed_per_second` malformed requests, one per connection.
pub fn abuse(
    addr: SocketAddr,
    slowloris: usize,
    malformed_per_second: u32,
    duration: Duration,
) -> AbuseReport {
    let deadline = Instant::now() + duration;
    let malformed = std::thread::spawn(move || {
        let mut report = AbuseReport::default();
        let oversize = oversize_request();
        let interval = Duration::from_secs(1) / malformed_per_second.max(1);
        let mut next = Instant::now();
        let mut turn = 0usize;
        while Instant::now() < deadline {
            let request = MALFORMED.get(turn).copied().unwrap_or(&oversize);
            turn = (turn + 1) % (MALFORMED.len() + 1);
            report.malformed_sent += 1;
            match send_raw(addr, request) {
                Some(status) if (400..500).contains(&status) => report.malformed_4xx += 1,
                Some(status) if (500..600).contains(&status) => report.malformed_5xx += 1,
                Some(_) => report.malformed_other += 1,
                None => report.malformed_unanswered += 1,
            }
            next += interval;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        report
    });

    let mut report = AbuseReport::default();
    let open = |report: &mut AbuseReport| -> Option<TcpStream> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok();
        match stream {
            Some(mut stream) => {
                let started = stream
                    .write_all(b"GET /billing/api/rate_get?u=admin HTTP/1.1\r\nHost: x\r\n")
                    .and_then(|()| stream.set_nonblocking(true));
                report.slowloris_opened += 1;
                started.ok().map(|()| stream)
            }
            None => {
                report.slowloris_failed += 1;
                None
            }
        }
    };
    let mut streams: Vec<Option<TcpStream>> = (0..slowloris).map(|_| open(&mut report)).collect();
    let mut scratch = [0u8; 4096];
    while Instant::now() < deadline {
        for slot in &mut streams {
            let alive = slot.as_mut().is_some_and(|stream| {
                let open = match stream.read(&mut scratch) {
                    Ok(0) => false,
                    Ok(_) => true, // an answer (a timeout refusal): read on until the close
                    Err(e) => e.kind() == io::ErrorKind::WouldBlock,
                };
                open && stream.write_all(b"X").is_ok()
            });
            if !alive {
                if slot.is_some() {
                    report.slowloris_closed_by_server += 1;
                }
                *slot = open(&mut report);
            }
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    drop(streams);
    let sent = malformed.join().unwrap_or_default();
    AbuseReport {
        malformed_sent: sent.malformed_sent,
        malformed_4xx: sent.malformed_4xx,
        malformed_5xx: sent.malformed_5xx,
        malformed_other: sent.malformed_other,
        malformed_unanswered: sent.malformed_unanswered,
        ..report
    }
}

/// Sends `request` on a new connection; the status of the answer, if any came.
fn send_raw(addr: SocketAddr, request: &[u8]) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    // The server may refuse before reading everything; a failed write still has an answer.
    let _ = stream.write_all(request);
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    let status = std::str::from_utf8(head.get(9..12)?).ok()?.parse().ok()?;
    Some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_answers_are_told_from_error_pages() {
        assert!(Target::UserSimpleBalance.is_success("60.0000"));
        assert!(Target::UserSimpleBalance.is_success("-1.5"));
        assert!(!Target::UserSimpleBalance.is_success("User was not found"));
        assert!(Target::BalancePhp.is_success("CurrencyName=EUR|InitBalance=92.00|Balance=55.20"));
        assert!(Target::BalancePhp.is_success("EUR -5.20"));
        assert!(Target::BalancePhp.is_success("5.20"));
        assert!(!Target::BalancePhp.is_success("1001"));
        assert!(!Target::BalancePhp.is_success("110"));
        assert!(Target::RateFull.is_success("<page>\n  <rate>0.1#X#37</rate>\n</page>"));
        let none = "<page>\n  <error>Rate was not found</error>\n</page>";
        assert!(!Target::RateFull.is_success(none));
        assert_eq!(Target::RateFull.classify(none), Answer::NoMatch);
        assert_eq!(Target::RateExact.classify(none), Answer::Error);
        let denied = "<page>\n  <error>User was not found</error>\n</page>";
        assert_eq!(Target::RateFull.classify(denied), Answer::Error);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(
            path("/a", &[("u", "a b&c"), ("n", "x@y")]),
            "/a?u=a%20b%26c&n=x%40y"
        );
        assert_eq!(path("/a/b", &[]), "/a/b");
    }

    #[test]
    fn current_prefixes_skip_dated_rows_and_repeats() {
        let deck = "prefix,destination,rate,effective_from\n37,A,1,\n370,B,1,2030-01-01\n37,A,2,2020-01-01\n371,C,1,\n";
        assert_eq!(
            current_prefixes(deck.as_bytes(), "d.csv").unwrap(),
            ["37", "371"]
        );
        let error = current_prefixes("prefix,rate\n37x,1\n".as_bytes(), "d.csv").unwrap_err();
        assert!(error.starts_with("d.csv:2:1: "), "{error}");
    }
}
