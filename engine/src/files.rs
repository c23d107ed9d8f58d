//! Opening data files: regular files only, and an open that can never block.
//!
//! A FIFO in place of a data file would block an ordinary `open` until something writes to
//! it, and a device such as `/dev/zero` never ends. So data files are opened non-blocking
//! (for a regular file the flag changes nothing) and the opened file, not the path, is
//! checked: a file renamed over the path between a check and the open cannot slip through.

use std::fs::{File, FileType, Metadata};
use std::path::Path;

/// What `file_type` is when it is not a regular file ("a FIFO (named pipe)"...), for messages;
/// `None` for a regular file.
pub fn not_regular(file_type: FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO (named pipe)");
        } else if file_type.is_char_device() {
            return Some("a character device");
        } else if file_type.is_block_device() {
            return Some("a block device");
        } else if file_type.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a file")
}

/// Why a data file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// It exists but is not a regular file (the kind, from [`not_regular`]).
    #[error("is {0}, not a regular file")]
    NotRegular(&'static str),
}

/// Opens the regular file at `path` (symbolic links followed) for reading, without ever
/// blocking, and returns it with its metadata, taken from the open file.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), OpenError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    let metadata = file.metadata()?;
    match not_regular(metadata.file_type()) {
        None => Ok((file, metadata)),
        Some(kind) => Err(OpenError::NotRegular(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_open_and_anything_else_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("users.csv");
        std::fs::write(&file, "id\n").unwrap();
        let (_, metadata) = open_regular(&file).unwrap();
        assert_eq!(metadata.len(), 3);
        assert!(matches!(
            open_regular(dir.path()),
            Err(OpenError::NotRegular("a directory"))
        ));
        assert!(matches!(
            open_regular(Path::new("/dev/zero")),
            Err(OpenError::NotRegular("a character device"))
        ));
        assert!(matches!(
            open_regular(&dir.path().join("missing.csv")),
            Err(OpenError::Io(_))
        ));
    }

    /// A FIFO with no writer: an ordinary open would block for ever.
    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("tariffs.ratel");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !made.is_ok_and(|status| status.success()) {
            eprintln!("mkfifo is not available; skipped");
            return;
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = sender.send(open_regular(&fifo).map(|_| ()));
        });
        let result = receiver
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("opening a FIFO blocked");
        assert!(matches!(
            result,
            Err(OpenError::NotRegular("a FIFO (named pipe)"))
        ));
    }
}
