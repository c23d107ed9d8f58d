use super::*;
use crate::artifact::verify::tests::{larger_artifact, small_artifact};
use crate::time::Timestamp;

#[test]
fn open_maps_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ratel");
    std::fs::write(&path, small_artifact()).unwrap();
    let artifact = Artifact::open(&path).unwrap();
    assert_eq!(artifact.path(), path);
    assert!(artifact.exact_match(0, b"44", Timestamp(0)).is_some());
    std::fs::write(&path, b"RATELTRF").unwrap();
    let error = Artifact::open(&path).unwrap_err().to_string();
    assert!(error.starts_with(&path.display().to_string()), "{error}");
    assert!(error.contains("truncated"), "{error}");
    std::fs::write(&path, b"").unwrap();
    let error = Artifact::open(&path).unwrap_err().to_string();
    assert!(error.contains("not a Ratel tariff artifact"), "{error}");
}

#[test]
fn a_loaded_artifact_survives_its_file_being_rewritten_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.ratel");
    std::fs::write(&path, larger_artifact()).unwrap();
    let artifact = Artifact::open(&path).unwrap();
    let before = artifact
        .longest_match(0, b"1700", Timestamp(i64::MAX))
        .unwrap();
    // Truncate and scribble over the very file that was opened.
    std::fs::write(&path, b"RATELTRF garbage").unwrap();
    assert_eq!(
        artifact.longest_match(0, b"1700", Timestamp(i64::MAX)),
        Some(before)
    );
    assert!(artifact.record(before.record).is_some());
}

/// Opens `path` on another thread: a FIFO must not block the open.
fn open_within_seconds(path: &Path) -> Result<Artifact, ArtifactError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let path = path.to_owned();
    std::thread::spawn(move || {
        let _ = sender.send(Artifact::open(&path));
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("opening the artifact returned within 5 s")
}

#[test]
fn a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fifo.ratel");
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    assert!(made.unwrap().success(), "mkfifo is available");
    let error = open_within_seconds(&path).unwrap_err();
    assert!(
        matches!(
            error,
            ArtifactError::NotAFile {
                kind: "a FIFO (named pipe)",
                ..
            }
        ),
        "{error}"
    );
    assert!(error
        .to_string()
        .contains("must be a regular file, not a FIFO (named pipe)"));
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let error = open_within_seconds(dir.path()).unwrap_err();
    assert!(
        matches!(
            error,
            ArtifactError::NotAFile {
                kind: "a directory",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn a_link_to_dev_zero_is_refused_without_copying_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("zero.ratel");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let error = open_within_seconds(&path).unwrap_err();
    assert!(
        matches!(
            error,
            ArtifactError::NotAFile {
                kind: "a character device",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn the_copy_is_bounded_by_the_size_read_first() {
    // A file that grew after its size was read: the copy stops one byte past the size
    // and says so instead of following the growth.
    let mut copy = Vec::new();
    let grown = std::io::repeat(7).take(1 << 30);
    assert!(matches!(
        copy_exactly(grown, 100, &mut copy),
        Err(CopyError::Size(101))
    ));
    assert_eq!(copy.len(), 101);
    // One that shrank.
    let mut copy = Vec::new();
    assert!(matches!(
        copy_exactly(&[1u8, 2, 3][..], 5, &mut copy),
        Err(CopyError::Size(3))
    ));
    let mut copy = Vec::new();
    assert!(copy_exactly(&[1u8, 2, 3][..], 3, &mut copy).is_ok());
    assert_eq!(copy, [1, 2, 3]);
}
