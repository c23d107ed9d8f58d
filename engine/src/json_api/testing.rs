//! A data folder for JSON API tests: the demo accounts with card groups priced by a
//! tariff and users with credit, and a ledger attached, in a temporary directory.

use std::path::Path;
use std::sync::Arc;

use crate::accounts::{self, AccountFiles, Accounts};
use crate::artifact::Artifact;
use crate::ledger::Ledger;

/// The demo data with a ledger: accounts attached (every balance its file's), the
/// artifact, and the ledger (dropped with the directory).
pub(crate) struct Fixture {
    pub(crate) artifact: Arc<Artifact>,
    pub(crate) accounts: Accounts,
    pub(crate) ledger: Ledger,
    pub(crate) _dir: tempfile::TempDir,
}

/// The demo accounts, with `card_groups.csv` and `users.csv` rewritten by `edit` (file
/// name, text) before loading, and a fresh ledger attached.
pub(crate) fn live(edit: impl Fn(&str, String) -> String) -> Fixture {
    live_on(Arc::clone(&crate::testing::demo_data().artifact), edit)
}

/// [`live`] over another artifact (tariffs in other currencies).
pub(crate) fn live_on(artifact: Arc<Artifact>, edit: impl Fn(&str, String) -> String) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let demo = crate::testing::demo_dir();
    for file in crate::testing::ACCOUNT_FILES {
        let text = std::fs::read_to_string(demo.join(file)).unwrap();
        std::fs::write(dir.path().join(file), edit(file, text)).unwrap();
    }
    let mut accounts = load(dir.path(), &artifact);
    let ledger = Ledger::open(&dir.path().join("ledger.sqlite"), "USD").unwrap();
    ledger.attach(&mut accounts).unwrap();
    Fixture {
        artifact,
        accounts,
        ledger,
        _dir: dir,
    }
}

fn load(dir: &Path, artifact: &Artifact) -> Accounts {
    let has_tariff = |name: &str| artifact.tariff_id(name).is_some();
    accounts::load(&AccountFiles::in_folder(dir), "USD", &has_tariff)
        .unwrap()
        .0
}

/// Runs `endpoint` with the query `pairs` and `body` at `now`, against `ledger`.
pub(crate) fn run_with(
    live: &Fixture,
    endpoint: super::Endpoint,
    pairs: &[(&str, &str)],
    body: &str,
    ledger: &dyn crate::ledger::Commit,
) -> (super::JsonStatus, String) {
    let params = crate::mor_api::Params::from_query(pairs);
    let request = super::JsonRequest {
        params: &params,
        body: body.as_bytes(),
        now: crate::time::Timestamp::parse("2026-11-26 12:00:00").unwrap(),
    };
    let mut out = Vec::new();
    let status = super::respond(
        endpoint,
        &live.artifact,
        &live.accounts,
        &crate::mor_api::ApiSettings::default(),
        &request,
        ledger,
        &mut out,
    );
    (status, String::from_utf8(out).unwrap())
}

/// [`run_with`] against the live data's own ledger.
pub(crate) fn run(
    live: &Fixture,
    endpoint: super::Endpoint,
    pairs: &[(&str, &str)],
    body: &str,
) -> (super::JsonStatus, String) {
    run_with(live, endpoint, pairs, body, &live.ledger)
}

/// The demo tariffs compiled with `vip_custom` in `currency` instead of USD.
pub(crate) fn vip_custom_in(currency: &str) -> Arc<Artifact> {
    let sources: Vec<_> = crate::testing::demo_tariff_sources()
        .into_iter()
        .map(|mut source| {
            if source.name == "vip_custom" {
                source.currency = currency.into();
            }
            source
        })
        .collect();
    let bytes = crate::compile::compile(&sources, |_| {}).unwrap().bytes;
    Arc::new(Artifact::from_bytes(bytes).unwrap())
}

/// The demo tariffs with `vip_custom`'s 370 billed as `increment` says (`45/10`, say):
/// `prefix,destination,rate,increment_s` `370,Lithuania (VIP),0.5,{increment}`.
pub(crate) fn vip_custom_billed(increment: &str) -> Arc<Artifact> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vip_custom.csv");
    std::fs::write(
        &path,
        format!("prefix,destination,rate,increment_s\n370,Lithuania (VIP),0.5,{increment}\n"),
    )
    .unwrap();
    let sources: Vec<_> = crate::testing::demo_tariff_sources()
        .into_iter()
        .map(|mut source| {
            if source.name == "vip_custom" {
                source.path = path.clone();
            }
            source
        })
        .collect();
    let bytes = crate::compile::compile(&sources, |_| {}).unwrap().bytes;
    Arc::new(Artifact::from_bytes(bytes).unwrap())
}

/// Card groups priced: group 1 by `retail`, group 2 by `wholesale`; users as in the demo.
pub(crate) fn priced_cards(file: &str, text: String) -> String {
    if file == "card_groups.csv" {
        "id,name,owner_id,tariff\n1,Retail cards,0,retail\n2,Reseller cards,2,wholesale\n".into()
    } else {
        text
    }
}
