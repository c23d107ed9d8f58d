//! The committer: the one thread that applies changes. It takes every batch that has
//! arrived (up to [`MAX_BATCH`] submissions), works out each change's balance in order,
//! writes them all in one transaction with one sync, and only then sets the live balances
//! and answers. Many requests, one commit: that is what makes a durable ledger fast.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::change::{Applied, Change, Done, Submission, OTHER_PAYER};
use super::change::{SessionOp, SessionOutcome};
use super::cpu_busy::CpuBusy;
use super::inbox::{Inbox, Job, Taken, MAX_BATCH};
use super::kind::{Kind, RefKey};
use super::known::Known;
use super::options::{Level, Log};
use super::references::References;
use super::session::{grant, OpenSession, SessionBook, SessionWrite};
use super::stats::Stats;
use super::store::{AppendError, CallDetail, Changes, Entry, Store, WATCH_EVERY};
use crate::accounts::{Account, BalanceCell};
use crate::cost;
use crate::money::Decimal;
use crate::time::Timestamp;

/// Requests that must have been committed together last time for the committer to wait for
/// more before the next commit: many clients are charging at once, so a short wait gathers
/// several of them into one commit (one sync, one write of each index page touched) instead
/// of paying a commit each. A lone client (or two) never waits, and nobody waits while the
/// processors it may use are not busy ([`CpuBusy`]): the commits saved would free processor time
/// nothing needs, and under many clients that each wait for their answer, the wait would
/// only make every round trip longer (no gathering: +15% calls and sessions a second in
/// closed loop, docs/performance.md, issue 19).
const GATHER_AFTER_JOBS: usize = 4;

/// How long the committer waits, at most, to gather more requests into a commit.
const GATHER_FOR: Duration = Duration::from_millis(1);

/// Submissions that end the gathering wait early: a commit this large gains little more.
const GATHER_ENOUGH: usize = 64;

/// The state the committer carries from one commit to the next.
pub(crate) struct Committer<S> {
    store: S,
    references: References,
    next_seq: u64,
    stats: Arc<Stats>,
    log: Log,
    /// The failure of the commits failing now, logged once for the run (a full disk under
    /// load would otherwise log thousands of identical lines a second).
    failing: Option<String>,
    /// The open sessions (calls in progress), as of the last commit.
    sessions: SessionBook,
    /// The accounts the ledger holds, shared with [`super::Ledger`]: the committer adds
    /// those opened by a commit, and those another server opened (a shared store).
    known: Arc<Mutex<HashMap<Account, Known>>>,
}

/// Times a batch is worked out again after conflicting with another server's changes (a
/// shared store) before its requests are answered as failed (503: resend).
const MAX_ATTEMPTS: usize = 8;

/// A batch worked out, ready for the store.
struct Plan {
    entries: Vec<Entry>,
    /// Balances as this batch leaves them, set on the cells after the commit.
    balances: HashMap<Account, (Decimal, Arc<BalanceCell>)>,
    keys: HashMap<RefKey, usize>,
    sessions: SessionOverlay,
    outcomes: Vec<Vec<Planned>>,
}

/// Sessions expired in one commit at most (more wait for the next).
const EXPIRE_AT_ONCE: usize = 1_000;

/// Runs the committer until the ledger is closed (and what was queued is committed).
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<S: Store>(
    store: S,
    inbox: Arc<Inbox>,
    references: References,
    next_seq: u64,
    stats: Arc<Stats>,
    log: Log,
    sessions: SessionBook,
    known: Arc<Mutex<HashMap<Account, Known>>>,
) {
    stats
        .sessions_open
        .store(sessions.len() as u64, Ordering::Relaxed);
    let mut committer = Committer {
        store,
        references,
        next_seq,
        stats,
        log,
        failing: None,
        sessions,
        known,
    };
    let mut last_jobs = 0;
    let mut cpu = CpuBusy::default();
    loop {
        // Every turn (at least every 10 ms): the processors' last 100 ms, for the gathering.
        cpu.sample(Instant::now());
        committer.catch_up(false);
        committer.expire_due();
        let (mut batch, mut count) = (Vec::new(), 0);
        match inbox.take(WATCH_EVERY, 1, &mut count, &mut batch) {
            Taken::Closed => break,
            Taken::TimedOut if batch.is_empty() => {
                committer.store.watch();
                continue;
            }
            Taken::TimedOut | Taken::Jobs => {}
        }
        // Many clients at once, and other work waiting for the processors: wait a little for
        // more of them (woken early only when enough have come), so that one commit carries
        // them all and the commits not made leave their processor time to that work.
        if last_jobs >= GATHER_AFTER_JOBS && cpu.busy() {
            let until = Instant::now() + GATHER_FOR;
            while count < GATHER_ENOUGH.min(MAX_BATCH) {
                let left = until.saturating_duration_since(Instant::now());
                if left.is_zero()
                    || inbox.take(left, GATHER_ENOUGH - count, &mut count, &mut batch)
                        != Taken::Jobs
                {
                    break;
                }
            }
        }
        last_jobs = batch.len();
        committer.commit(batch);
    }
}

/// What one submission came to before the commit.
enum Planned {
    /// The next entry of the batch (entries are made in the order of the outcomes).
    New,
    /// A repeat of an entry of this batch (a copy of it: it stands only if the batch commits).
    Repeat(Entry),
    /// A repeat of an entry committed before.
    Stored(Entry),
    Refused(String),
    Failed(String),
    /// A session answer that stands whatever the commit does (a refusal, an unknown id).
    Answer(SessionOutcome),
    /// A grant: answered only if the batch commits.
    Granted(SessionOutcome),
}

/// The sessions as a batch leaves them: what it opens, extends and closes, on top of the
/// committer's book (applied to it only once the batch is durable).
#[derive(Default)]
struct SessionOverlay {
    /// Per id: the session as this batch leaves it (`None`: closed).
    pending: HashMap<String, Option<OpenSession>>,
    /// Per payer touched: the money its sessions reserve as this batch leaves them.
    reserved: HashMap<Account, Decimal>,
    /// Open sessions added (or, negative, closed) by this batch.
    opened: i64,
    /// What the store writes, in order.
    writes: Vec<SessionWrite>,
    /// Sessions this batch started and expired (counted once it commits).
    started: u64,
    expired: u64,
}

impl SessionOverlay {
    fn get<'a>(&'a self, book: &'a SessionBook, id: &str) -> Option<&'a OpenSession> {
        match self.pending.get(id) {
            Some(session) => session.as_ref(),
            None => book.get(id),
        }
    }

    fn reserved(&self, book: &SessionBook, account: Account) -> Decimal {
        self.reserved
            .get(&account)
            .copied()
            .unwrap_or_else(|| book.reserved(account))
    }

    fn open(&self, book: &SessionBook) -> i64 {
        book.len() as i64 + self.opened
    }

    /// Adds `amount` to what `account`'s sessions reserve.
    fn reserve(&mut self, book: &SessionBook, account: Account, amount: Decimal) {
        let total = self
            .reserved(book, account)
            .checked_add(amount)
            .unwrap_or(Decimal::ZERO);
        self.reserved.insert(account, total);
    }

    fn put(&mut self, book: &SessionBook, session: OpenSession) {
        match self.get(book, &session.id).map(|old| old.reserved) {
            Some(old) => self.reserve(book, session.account, old.negated()),
            None => self.opened += 1,
        }
        self.reserve(book, session.account, session.reserved);
        self.writes
            .push(SessionWrite::Put(Box::new(session.clone())));
        self.pending.insert(session.id.clone(), Some(session));
    }

    fn remove(&mut self, book: &SessionBook, id: &str) {
        let Some((account, reserved)) = self.get(book, id).map(|s| (s.account, s.reserved)) else {
            return;
        };
        self.reserve(book, account, reserved.negated());
        self.opened -= 1;
        self.writes
            .push(SessionWrite::Remove(id.to_owned(), account));
        self.pending.insert(id.to_owned(), None);
    }
}

/// The `call` entry's change that charges `session` for `billsec` seconds, priced at its
/// start with its terms; `Err` when the price is out of range.
fn charge_session(
    session: &OpenSession,
    cell: Arc<BalanceCell>,
    billsec: i64,
) -> Result<Change, String> {
    let price = cost::price(&session.terms, billsec, session.exchange_rate)
        .map_err(|error| error.to_string())?;
    Ok(Change {
        account: session.account,
        cell,
        amount: price.cost.negated(),
        kind: Kind::Call,
        reference: session.id.clone(),
        description: String::new(),
        call: Some(CallDetail {
            number: session.number.clone(),
            start: session.start,
            billsec,
            rated_s: price.rated_s,
            prefix: session.prefix.clone(),
        }),
    })
}

impl<S: Store> Committer<S> {
    /// Closes, and charges for every second granted, the sessions whose grant ran out
    /// `grace_s` ago (a softswitch that died, or lost the BYE).
    fn expire_due(&mut self) {
        let due = self.sessions.due(Timestamp::now(), EXPIRE_AT_ONCE);
        if due.is_empty() {
            return;
        }
        let submissions = due
            .into_iter()
            .map(|id| Submission::Session(SessionOp::Expire { id }))
            .collect();
        self.commit(vec![Job {
            submissions,
            done: Box::new(|_| {}),
        }]);
    }

    /// Applies one batch and answers every job in it.
    pub(crate) fn commit(&mut self, batch: Vec<Job>) {
        let (mut submissions, answers): (Vec<Vec<Submission>>, Vec<Done>) = batch
            .into_iter()
            .map(|job| (job.submissions, job.done))
            .unzip();
        let shared = self.store.shared();
        let mut attempt = 1;
        let (plan, committed) = loop {
            // A shared store may refuse the batch for another server's change: keep what
            // is needed to work it out again.
            let again = (shared && attempt < MAX_ATTEMPTS).then(|| submissions.clone());
            let mut plan = self.plan_all(submissions);
            let committed = self.append(&mut plan);
            match (committed, again) {
                (Err(AppendError::Conflict(_)), Some(again)) => {
                    self.stats.conflicts.fetch_add(1, Ordering::Relaxed);
                    self.catch_up(true);
                    submissions = again;
                    attempt += 1;
                }
                (Err(AppendError::Conflict(error)), None) => {
                    break (
                        plan,
                        Err(format!(
                            "other servers kept changing these accounts: {error}"
                        )),
                    )
                }
                (Err(AppendError::Failed(error)), _) => break (plan, Err(error)),
                (Ok(()), _) => break (plan, Ok(())),
            }
        };
        self.finish(plan, committed, answers);
    }

    /// Works out every submission of a batch, in order.
    fn plan_all(&mut self, submissions: Vec<Vec<Submission>>) -> Plan {
        let now = Timestamp::now();
        let mut entries: Vec<Entry> = Vec::new();
        let mut balances: HashMap<Account, (Decimal, Arc<BalanceCell>)> = HashMap::new();
        let mut keys: HashMap<RefKey, usize> = HashMap::new();
        let mut sessions = SessionOverlay::default();
        let mut outcomes: Vec<Vec<Planned>> = Vec::with_capacity(submissions.len());
        for job in submissions {
            let mut job_outcomes = Vec::with_capacity(job.len());
            for submission in job {
                let mut batch = Batch {
                    now,
                    entries: &mut entries,
                    balances: &mut balances,
                    keys: &mut keys,
                    sessions: &mut sessions,
                };
                job_outcomes.push(self.plan(submission, &mut batch));
            }
            outcomes.push(job_outcomes);
        }
        Plan {
            entries,
            balances,
            keys,
            sessions,
            outcomes,
        }
    }

    /// Writes a planned batch, timing and counting the commit.
    fn append(&mut self, plan: &mut Plan) -> Result<(), AppendError> {
        if plan.entries.is_empty() && plan.sessions.writes.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let committed = self.store.append(&mut plan.entries, &plan.sessions.writes);
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.stats
            .commit_micros
            .fetch_add(micros, Ordering::Relaxed);
        if committed.is_ok() {
            self.stats.commits.fetch_add(1, Ordering::Relaxed);
        }
        committed
    }

    /// Notes a commit's outcome, applies a durable batch to the live balances and the
    /// sessions, and answers every job.
    fn finish(&mut self, plan: Plan, committed: Result<(), String>, answers: Vec<Done>) {
        let Plan {
            entries,
            balances,
            keys,
            mut sessions,
            outcomes,
        } = plan;
        let wrote = !entries.is_empty() || !sessions.writes.is_empty();
        match &committed {
            // A batch that wrote nothing (repeats, refusals) proves nothing about the store.
            Ok(()) if !wrote => {}
            Ok(()) => {
                let failed = self.stats.failing.swap(0, Ordering::Relaxed);
                if self.failing.take().is_some() {
                    self.log.say(
                        Level::Info,
                        &format!("ledger: commits succeed again, after {failed} failed"),
                    );
                }
            }
            Err(error) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                self.stats.failing.fetch_add(1, Ordering::Relaxed);
                // The engine has no logger of its own: the server's log gets it, dated.
                if self.failing.as_ref() != Some(error) {
                    self.log.say(
                        Level::Error,
                        &format!(
                            "ledger: a commit failed, nothing of it was applied: {error} \
                             (said once while commits keep failing so)"
                        ),
                    );
                    self.failing = Some(error.clone());
                }
            }
        }
        if committed.is_ok() {
            self.stats
                .entries
                .fetch_add(entries.len() as u64, Ordering::Relaxed);
            if let Some(last) = entries.last() {
                self.next_seq = last.seq + 1;
            }
            for key in keys.keys() {
                self.references.insert(key);
            }
            for (id, session) in sessions.pending {
                match session {
                    Some(session) => self.sessions.put(session),
                    None => {
                        self.sessions.remove(&id);
                    }
                }
            }
            // A balance and what its sessions hold are set together: no reader sees a
            // charge without the release of what the call held, or the reverse.
            for (account, (balance, cell)) in &balances {
                match sessions.reserved.remove(account) {
                    Some(_) => cell.set_with_reserved(*balance, self.sessions.reserved(*account)),
                    None => cell.set(*balance),
                }
            }
            // The accounts this batch opened are the ledger's from now on.
            let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
            for entry in entries.iter().filter(|entry| entry.kind == Kind::Opening) {
                if let Some((_, cell)) = balances.get(&entry.account) {
                    known.entry(entry.account).or_insert_with(|| Known {
                        cell: Arc::clone(cell),
                        opening: entry.amount,
                    });
                }
            }
            drop(known);
            if !sessions.writes.is_empty() {
                self.sessions.publish(sessions.reserved.into_keys());
                let stats = &self.stats;
                stats
                    .sessions_open
                    .store(self.sessions.len() as u64, Ordering::Relaxed);
                stats
                    .sessions_started
                    .fetch_add(sessions.started, Ordering::Relaxed);
                stats
                    .sessions_expired
                    .fetch_add(sessions.expired, Ordering::Relaxed);
            }
        }
        // Each new entry moves to the request that made it, in order: no copy on the way back.
        let mut fresh = entries.into_iter();
        let mut refused = 0;
        for (job_outcomes, done) in outcomes.into_iter().zip(answers) {
            let applied = job_outcomes
                .into_iter()
                .map(|outcome| match (outcome, &committed) {
                    (Planned::New, Ok(())) => Applied::Done(
                        fresh
                            .next()
                            .expect("the batch made one entry for each New outcome"),
                    ),
                    (Planned::Repeat(entry), Ok(())) => Applied::Duplicate(entry),
                    (Planned::New | Planned::Repeat(_), Err(error)) => {
                        Applied::Failed(format!("the ledger could not write: {error}"))
                    }
                    (Planned::Stored(entry), _) => Applied::Duplicate(entry),
                    (Planned::Refused(reason), _) => Applied::Refused(reason),
                    (Planned::Failed(reason), _) => Applied::Failed(reason),
                    (Planned::Answer(outcome), _) | (Planned::Granted(outcome), Ok(())) => {
                        if matches!(outcome, SessionOutcome::Refused(reason) if reason != OTHER_PAYER)
                        {
                            refused += 1;
                        }
                        Applied::Session(outcome)
                    }
                    (Planned::Granted(_), Err(error)) => {
                        Applied::Failed(format!("the ledger could not write: {error}"))
                    }
                })
                .collect();
            done(applied);
        }
        self.stats
            .sessions_refused
            .fetch_add(refused, Ordering::Relaxed);
    }

    /// Takes in what other servers changed (a shared store): their balances, their
    /// sessions, their keys. `after_conflict`: a commit was just refused for it.
    pub(crate) fn catch_up(&mut self, after_conflict: bool) {
        match self.store.changes(after_conflict) {
            Ok(Some(changes)) => self.take_in(changes),
            Ok(None) => {}
            // The store says so in its health (`Stats`); the next look tries again.
            Err(_) => {}
        }
    }

    /// Sets what another server changed on the live balances and the session book.
    fn take_in(&mut self, changes: Changes) {
        for key in &changes.keys {
            self.references.insert(key);
        }
        let changed: HashSet<Account> = changes.accounts.iter().map(|a| a.0).collect();
        self.sessions.close_all_of(&changed);
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        let mut cells = Vec::with_capacity(changes.accounts.len());
        for (account, opening, balance) in changes.accounts {
            let cell = Arc::clone(
                &known
                    .entry(account)
                    .or_insert_with(|| Known {
                        cell: BalanceCell::new(balance),
                        opening,
                    })
                    .cell,
            );
            self.sessions.remember_cell(account, &cell);
            cells.push((account, balance, cell));
        }
        drop(known);
        for session in changes.sessions {
            self.sessions.put(session);
        }
        for (account, balance, cell) in cells {
            cell.set_with_reserved(balance, self.sessions.reserved(account));
        }
        self.stats
            .sessions_open
            .store(self.sessions.len() as u64, Ordering::Relaxed);
    }

    /// Works out what one submission does, adding its entry (and its session writes) to
    /// the batch.
    fn plan(&mut self, submission: Submission, batch: &mut Batch<'_>) -> Planned {
        let submission = match submission {
            Submission::Session(op) => return self.plan_session(op, batch),
            // A call charged by `/v1/calls` whose id is an open session ends that session.
            Submission::Change(change) if change.kind == Kind::Call => {
                match batch.sessions.get(&self.sessions, &change.reference) {
                    Some(open) if open.account != change.account => {
                        return Planned::Refused(OTHER_PAYER.into())
                    }
                    Some(_) => {
                        let billsec = change.call.as_ref().map_or(0, |call| call.billsec);
                        let id = change.reference.clone();
                        return self.end_session(&id, billsec, Some(change.cell), batch, false);
                    }
                    None => Submission::Change(change),
                }
            }
            // An account another server opened first (a shared store): its opening stands.
            Submission::Change(change) if change.kind == Kind::Opening => {
                let known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
                match known.get(&change.account) {
                    Some(held) => {
                        return Planned::Stored(Entry {
                            seq: 0,
                            time: batch.now,
                            account: change.account,
                            amount: held.opening,
                            kind: Kind::Opening,
                            reference: String::new(),
                            balance_after: held.cell.get(),
                            description: String::new(),
                            call: None,
                        })
                    }
                    None => Submission::Change(change),
                }
            }
            other => other,
        };
        self.plan_keyed(submission, batch)
    }

    /// What a session request does.
    fn plan_session(&mut self, op: SessionOp, batch: &mut Batch<'_>) -> Planned {
        match op {
            SessionOp::Start {
                session,
                cell,
                settings,
            } => self.start_session(*session, cell, settings, batch),
            SessionOp::Update {
                id,
                used_s,
                settings,
            } => {
                let Some(open) = batch.sessions.get(&self.sessions, &id).cloned() else {
                    return Planned::Answer(SessionOutcome::NotFound);
                };
                let Some(cell) = self.sessions.cell(open.account).cloned() else {
                    return Planned::Failed(format!("session {id}: its payer is unknown"));
                };
                let balance = batch.balance(open.account, &cell);
                let others = batch
                    .sessions
                    .reserved(&self.sessions, open.account)
                    .checked_add(open.reserved.negated())
                    .unwrap_or(Decimal::ZERO);
                match grant(
                    &open.terms,
                    open.exchange_rate,
                    balance,
                    open.limit,
                    others,
                    used_s,
                    settings,
                ) {
                    Err(reason) => Planned::Answer(SessionOutcome::Refused(reason)),
                    Ok(grant) => {
                        let session = OpenSession {
                            used_s,
                            granted_s: grant.granted_s,
                            final_grant: grant.final_grant,
                            reserved: grant.reserved,
                            expires: expiry(batch.now, grant.granted_s, settings.grace_s),
                            ..open
                        };
                        batch.sessions.put(&self.sessions, session.clone());
                        let available = available_after(balance, &session, others);
                        Planned::Granted(SessionOutcome::Granted {
                            session: Box::new(session),
                            available,
                            again: false,
                        })
                    }
                }
            }
            SessionOp::End {
                id,
                billsec,
                fallback,
            } => {
                if batch.sessions.get(&self.sessions, &id).is_some() {
                    return self.end_session(&id, billsec, None, batch, false);
                }
                match fallback {
                    Some(change) => self.plan_keyed(Submission::Change(*change), batch),
                    None => self.plan_keyed(
                        Submission::Unpriced {
                            key: Some(RefKey::Call(id)),
                            account: None,
                            error: super::session::SESSION_NOT_FOUND.into(),
                        },
                        batch,
                    ),
                }
            }
            SessionOp::Expire { id } => match batch.sessions.get(&self.sessions, &id) {
                // Due when planned (worked out again after another server's change, it may
                // have been extended since).
                Some(open) if open.expires <= batch.now => {
                    let billsec = open.granted_total();
                    self.end_session(&id, billsec, None, batch, true)
                }
                Some(_) | None => Planned::Answer(SessionOutcome::NotFound),
            },
        }
    }

    /// Opens a session, or answers why not.
    fn start_session(
        &mut self,
        mut session: OpenSession,
        cell: Arc<BalanceCell>,
        settings: super::session::SessionSettings,
        batch: &mut Batch<'_>,
    ) -> Planned {
        if let Some(open) = batch.sessions.get(&self.sessions, &session.id) {
            if open.account != session.account {
                return Planned::Answer(SessionOutcome::Refused(OTHER_PAYER));
            }
            let open = open.clone();
            let balance = batch.balance(open.account, &cell);
            let others = batch
                .sessions
                .reserved(&self.sessions, open.account)
                .checked_add(open.reserved.negated())
                .unwrap_or(Decimal::ZERO);
            let available = available_after(balance, &open, others);
            return Planned::Granted(SessionOutcome::Granted {
                session: Box::new(open),
                available,
                again: true,
            });
        }
        let key = RefKey::Call(session.id.clone());
        if batch.keys.contains_key(&key) {
            return Planned::Answer(SessionOutcome::AlreadyCharged);
        }
        if self.references.may_contain(&key) {
            match self.store.find(&key) {
                Ok(Some(_)) => return Planned::Answer(SessionOutcome::AlreadyCharged),
                Ok(None) => {}
                Err(error) => {
                    return Planned::Failed(format!("the ledger could not be read: {error}"))
                }
            }
        }
        if batch.sessions.open(&self.sessions) >= settings.max_open as i64 {
            return Planned::Answer(SessionOutcome::TooMany);
        }
        let balance = batch.balance(session.account, &cell);
        let others = batch.sessions.reserved(&self.sessions, session.account);
        match grant(
            &session.terms,
            session.exchange_rate,
            balance,
            session.limit,
            others,
            0,
            settings,
        ) {
            Err(reason) => Planned::Answer(SessionOutcome::Refused(reason)),
            Ok(grant) => {
                session.used_s = 0;
                session.granted_s = grant.granted_s;
                session.final_grant = grant.final_grant;
                session.reserved = grant.reserved;
                session.expires = expiry(batch.now, grant.granted_s, settings.grace_s);
                self.sessions.remember_cell(session.account, &cell);
                batch.sessions.put(&self.sessions, session.clone());
                batch.sessions.started += 1;
                let available = available_after(balance, &session, others);
                Planned::Granted(SessionOutcome::Granted {
                    session: Box::new(session),
                    available,
                    again: false,
                })
            }
        }
    }

    /// Charges the open session `id` for `billsec` seconds and closes it, in the batch.
    fn end_session(
        &mut self,
        id: &str,
        billsec: i64,
        cell: Option<Arc<BalanceCell>>,
        batch: &mut Batch<'_>,
        expired: bool,
    ) -> Planned {
        let Some(open) = batch.sessions.get(&self.sessions, id).cloned() else {
            return Planned::Answer(SessionOutcome::NotFound);
        };
        let Some(cell) = cell.or_else(|| self.sessions.cell(open.account).cloned()) else {
            return Planned::Failed(format!("session {id}: its payer is unknown"));
        };
        let change = match charge_session(&open, cell, billsec) {
            Ok(change) => change,
            Err(error) => return Planned::Refused(error),
        };
        let planned = self.plan_keyed(Submission::Change(change), batch);
        if matches!(planned, Planned::New) {
            batch.sessions.remove(&self.sessions, id);
            batch.sessions.expired += u64::from(expired);
        }
        planned
    }

    /// Works out what one change (or unpriced call) does, by its key first.
    fn plan_keyed(&mut self, submission: Submission, batch: &mut Batch<'_>) -> Planned {
        let Batch {
            now,
            entries,
            balances,
            keys,
            ..
        } = batch;
        let now = *now;
        let (key, payer) = match &submission {
            Submission::Change(change) => (change.key(), Some(change.account)),
            Submission::Unpriced { key, account, .. } => (key.clone(), *account),
            Submission::Session(_) => (None, None),
        };
        // A repeat answers the entry first made with its key, but only to the same payer.
        let repeat = |entry: &Entry| payer.is_none_or(|payer| payer == entry.account);
        if let Some(key) = &key {
            if let Some(&at) = keys.get(key) {
                return match repeat(&entries[at]) {
                    true => Planned::Repeat(entries[at].clone()),
                    false => Planned::Refused(OTHER_PAYER.into()),
                };
            }
            if self.references.may_contain(key) {
                match self.store.find(key) {
                    Ok(Some(entry)) if repeat(&entry) => return Planned::Stored(entry),
                    Ok(Some(_)) => return Planned::Refused(OTHER_PAYER.into()),
                    Ok(None) => {}
                    Err(error) => {
                        return Planned::Failed(format!("the ledger could not be read: {error}"))
                    }
                }
            }
        }
        let change = match submission {
            Submission::Change(change) => change,
            Submission::Unpriced { error, .. } => return Planned::Refused(error),
            Submission::Session(_) => {
                return Planned::Failed("a session op planned as a change".into())
            }
        };
        let before = match balances.get(&change.account) {
            Some((balance, _)) => *balance,
            None => change.cell.get(),
        };
        let after = if change.kind == Kind::Opening {
            Some(change.amount)
        } else {
            before.checked_add(change.amount)
        };
        let Some(after) = after else {
            return Planned::Refused("the balance would have more than 38 digits".into());
        };
        let at = entries.len();
        entries.push(Entry {
            seq: self.next_seq + at as u64,
            time: now,
            account: change.account,
            amount: change.amount,
            kind: change.kind,
            reference: change.reference,
            balance_after: after,
            description: change.description,
            call: change.call,
        });
        balances.insert(change.account, (after, change.cell));
        if let Some(key) = key {
            keys.insert(key, at);
        }
        Planned::New
    }
}

/// What one batch has planned so far.
struct Batch<'b> {
    now: Timestamp,
    entries: &'b mut Vec<Entry>,
    /// Balances as this batch leaves them, set on the cells after the commit.
    balances: &'b mut HashMap<Account, (Decimal, Arc<BalanceCell>)>,
    keys: &'b mut HashMap<RefKey, usize>,
    sessions: &'b mut SessionOverlay,
}

impl Batch<'_> {
    /// `account`'s balance as this batch leaves it so far.
    fn balance(&self, account: Account, cell: &BalanceCell) -> Decimal {
        match self.balances.get(&account) {
            Some((balance, _)) => *balance,
            None => cell.get(),
        }
    }
}

/// When a session granted `granted_s` seconds at `now` is closed if nothing is heard.
fn expiry(now: Timestamp, granted_s: u32, grace_s: u32) -> Timestamp {
    Timestamp(now.0 + i64::from(granted_s) + i64::from(grace_s))
}

/// What the payer of `session` may still spend once it and the others' `others` are held:
/// `None` without a limit.
fn available_after(balance: Decimal, session: &OpenSession, others: Decimal) -> Option<Decimal> {
    let reserved = others.checked_add(session.reserved)?;
    crate::rating::spendable(balance, session.limit, reserved)
}
