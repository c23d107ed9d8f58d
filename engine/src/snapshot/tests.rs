use super::*;
use crate::artifact::ArtifactBuilder;
use crate::input::ErrorList;

fn demo_accounts() -> Arc<Accounts> {
    Arc::new(crate::testing::demo_accounts())
}

/// Data whose artifact holds one empty tariff named `tariff`.
fn empty_artifact(tariff: &str) -> Data {
    let mut builder = ArtifactBuilder::new();
    builder.add_tariff(tariff, "USD", "t.csv", 1).unwrap();
    let (bytes, _) = builder.build(&mut ErrorList::new()).unwrap();
    Data {
        artifact: Arc::new(Artifact::from_bytes(bytes).unwrap()),
        accounts: demo_accounts(),
        stamps: Stamps::default(),
    }
}

/// The demo data files, with the demo tariffs compiled into `dir`.
fn demo_files(dir: &std::path::Path) -> DataFiles {
    let artifact = dir.join("tariffs.ratel");
    std::fs::write(&artifact, crate::testing::demo_artifact_bytes()).unwrap();
    DataFiles {
        artifact,
        accounts: crate::testing::demo_account_files(),
        default_currency: "USD".into(),
        ledger: None,
    }
}

#[test]
fn demo_data_loads_and_a_bad_part_fails_the_whole_load() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo_files(dir.path());
    let data = Data::load(&files, &mut Vec::new()).unwrap();
    assert_eq!(data.artifact.tariffs().len(), 3);
    assert_eq!(data.accounts.user_by_username("bob").unwrap().owner_id, 2);

    let bytes = std::fs::read(&files.artifact).unwrap();
    std::fs::write(&files.artifact, &bytes[..bytes.len() - 1]).unwrap();
    let error = Data::load(&files, &mut Vec::new()).unwrap_err().to_string();
    assert!(error.contains("artifact is truncated"), "{error}");

    // An artifact without the tariffs users name: the accounts are refused.
    let mut builder = ArtifactBuilder::new();
    builder.add_tariff("retail", "USD", "t.csv", 1).unwrap();
    std::fs::write(
        &files.artifact,
        builder.build(&mut ErrorList::new()).unwrap().0,
    )
    .unwrap();
    let error = Data::load(&files, &mut Vec::new()).unwrap_err().to_string();
    assert!(error.starts_with("invalid account files:\n"), "{error}");
    assert!(
        error.contains("users.csv:4:5: tariff \"wholesale\" is not in the tariff artifact"),
        "{error}"
    );
}

/// `demo_files` with the account files copied into `dir`, so a test may change them.
fn demo_files_in(dir: &std::path::Path) -> DataFiles {
    let mut files = demo_files(dir);
    for path in [
        &mut files.accounts.users,
        &mut files.accounts.cards,
        &mut files.accounts.card_groups,
        &mut files.accounts.currencies,
    ] {
        let copy = dir.join(path.file_name().unwrap());
        std::fs::copy(&*path, &copy).unwrap();
        age(&copy);
        *path = copy;
    }
    age(&files.artifact);
    files
}

/// Dates the file's last modification an hour back, past the racy window.
fn age(path: &std::path::Path) {
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
}

/// Writes `bytes` beside `path` and renames it over, as tariff-compile does.
fn replace_file(path: &std::path::Path, bytes: &[u8]) {
    let next = path.with_extension("next");
    std::fs::write(&next, bytes).unwrap();
    age(&next);
    std::fs::rename(&next, path).unwrap();
}

#[test]
fn a_reload_reads_only_what_changed_and_shares_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo_files_in(dir.path());
    let first = Data::load(&files, &mut Vec::new()).unwrap();

    // Nothing changed: both parts are the very same allocations.
    let (same, reread) = Data::reload(&files, &first, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: false,
            accounts: false
        }
    );
    assert!(Arc::ptr_eq(&same.artifact, &first.artifact));
    assert!(Arc::ptr_eq(&same.accounts, &first.accounts));

    // A new artifact (same bytes, new inode): mapped again, accounts shared.
    let artifact_bytes = std::fs::read(&files.artifact).unwrap();
    replace_file(&files.artifact, &artifact_bytes);
    let (second, reread) = Data::reload(&files, &same, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: true,
            accounts: false
        }
    );
    assert_eq!(reread.to_string(), "artifact re-read, accounts shared");
    assert!(!Arc::ptr_eq(&second.artifact, &first.artifact));
    assert!(Arc::ptr_eq(&second.accounts, &first.accounts));

    // A changed users.csv: read again, the artifact shared; the change is served.
    let users = std::fs::read_to_string(&files.accounts.users).unwrap();
    replace_file(
        &files.accounts.users,
        users.replace(",bob,", ",robert,").as_bytes(),
    );
    let (third, reread) = Data::reload(&files, &second, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: false,
            accounts: true
        }
    );
    assert!(Arc::ptr_eq(&third.artifact, &second.artifact));
    assert!(third.accounts.user_by_username("robert").is_some());
    assert!(third.accounts.user_by_username("bob").is_none());

    // Rewritten in place, same size, just now: the stamp may not tell (same inode, size
    // and possibly clock tick), so it is racy and read again at every reload until the
    // file has been left alone for the racy window.
    let users = std::fs::read_to_string(&files.accounts.users).unwrap();
    std::fs::write(&files.accounts.users, users.replace(",robert,", ",roberT,")).unwrap();
    let (fourth, reread) = Data::reload(&files, &third, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: false,
            accounts: true
        }
    );
    assert!(fourth.accounts.user_by_username("roberT").is_some());
    let (fifth, reread) = Data::reload(&files, &fourth, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: false,
            accounts: true
        }
    );
    age(&files.accounts.users);
    let (sixth, _) = Data::reload(&files, &fifth, &mut Vec::new()).unwrap();
    let (_, reread) = Data::reload(&files, &sixth, &mut Vec::new()).unwrap();
    assert_eq!(
        reread,
        Reread {
            artifact: false,
            accounts: false
        }
    );

    // An artifact without a tariff the unchanged users name: the accounts are read
    // again so the refusal names the file and line; the caller keeps the old data.
    let mut builder = ArtifactBuilder::new();
    builder.add_tariff("retail", "USD", "t.csv", 1).unwrap();
    replace_file(
        &files.artifact,
        &builder.build(&mut ErrorList::new()).unwrap().0,
    );
    let error = Data::reload(&files, &third, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("users.csv:4:5: tariff \"wholesale\" is not in the tariff artifact"),
        "{error}"
    );

    // A truncated artifact is refused too; a missing account file counts as changed.
    replace_file(&files.artifact, &artifact_bytes[..artifact_bytes.len() - 1]);
    let error = Data::reload(&files, &third, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(error.contains("artifact is truncated"), "{error}");
    replace_file(&files.artifact, &artifact_bytes);
    std::fs::remove_file(&files.accounts.cards).unwrap();
    let error = Data::reload(&files, &third, &mut Vec::new())
        .unwrap_err()
        .to_string();
    assert!(error.contains("cards.csv:1:1: cannot open file"), "{error}");
}

#[cfg(unix)]
#[test]
fn a_fifo_device_or_directory_is_refused_at_once_without_opening_it() {
    let dir = tempfile::tempdir().unwrap();
    let files = demo_files_in(dir.path());
    let first = Data::load(&files, &mut Vec::new()).unwrap();
    let artifact_bytes = std::fs::read(&files.artifact).unwrap();
    let fifo = |path: &std::path::Path| {
        std::fs::remove_file(path).unwrap();
        let made = std::process::Command::new("mkfifo").arg(path).status();
        assert!(made.unwrap().success(), "mkfifo");
    };
    // Opening a FIFO with no writer blocks for ever: these must return at once.
    fifo(&files.artifact);
    for error in [
        Data::load(&files, &mut Vec::new()).unwrap_err(),
        Data::reload(&files, &first, &mut Vec::new()).unwrap_err(),
    ] {
        assert_eq!(
            error.to_string(),
            format!(
                "{}: is a FIFO (named pipe), not a regular file; data files must be regular files",
                files.artifact.display()
            )
        );
    }
    std::fs::remove_file(&files.artifact).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &files.artifact).unwrap();
    let error = Data::reload(&files, &first, &mut Vec::new()).unwrap_err();
    assert!(
        error.to_string().contains("is a character device"),
        "{error}"
    );
    std::fs::remove_file(&files.artifact).unwrap();
    std::fs::create_dir(&files.artifact).unwrap();
    let error = Data::reload(&files, &first, &mut Vec::new()).unwrap_err();
    assert!(error.to_string().contains("is a directory"), "{error}");
    std::fs::remove_dir(&files.artifact).unwrap();
    std::fs::write(&files.artifact, &artifact_bytes).unwrap();
    // An account file too, even while the artifact is unchanged.
    fifo(&files.accounts.card_groups);
    let error = Data::reload(&files, &first, &mut Vec::new()).unwrap_err();
    assert!(
        error.to_string().contains("card_groups.csv: is a FIFO"),
        "{error}"
    );
}

#[test]
fn readers_keep_their_snapshot_across_a_swap() {
    let store = SnapshotStore::new(empty_artifact("old"), Duration::ZERO);
    let held = store.load();
    let (generation, retired) = store.replace(empty_artifact("new"), Duration::ZERO);
    assert_eq!(generation, 2);
    assert!(Arc::ptr_eq(&retired, &held));
    drop(retired);
    assert_eq!(held.generation, 1);
    assert!(held.data.artifact.tariff_id("old").is_some());
    let fresh = store.load();
    assert_eq!(fresh.generation, 2);
    assert!(fresh.data.artifact.tariff_id("new").is_some());
}

#[test]
fn concurrent_readers_always_see_a_whole_snapshot() {
    let store = Arc::new(SnapshotStore::new(empty_artifact("a"), Duration::ZERO));
    let reader = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for _ in 0..20_000 {
                let snap = store.load();
                let names: Vec<_> = snap
                    .data
                    .artifact
                    .tariffs()
                    .iter()
                    .map(|t| t.name.clone())
                    .collect();
                assert!(names == ["a"] || names == ["b"], "{names:?}");
            }
        })
    };
    for i in 0..200 {
        store.replace(
            empty_artifact(if i % 2 == 0 { "b" } else { "a" }),
            Duration::ZERO,
        );
    }
    reader.join().unwrap();
    assert_eq!(store.load().generation, 201);
}
