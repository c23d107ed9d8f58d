//! A reader that stops reading (`tool | head -1`) ends every mass tool quietly and at once:
//! exit status 0, never a hang. Run several times each, since the race it guards against
//! (workers stopping while the reader still queues work) shows in some runs only. A run cut
//! short has no summary and is not judged by `--fail-on-unrated`: half the numbers here have
//! no rate, and the status is still 0.

// A test that cannot set itself up should stop loudly.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `exe args`, feeding `stdin` from a thread, reads one line of its output and closes
/// the pipe; returns its exit code, or `None` when it has not ended 30 s later.
fn first_line_then_close(exe: &str, args: &[&str], stdin: &[u8]) -> Option<i32> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // The tool may stop reading once its output is closed: a broken pipe here is expected.
    let feeder = std::thread::spawn(move || drop(input.write_all(&stdin)));
    let mut output = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    output.read_line(&mut line).unwrap();
    assert!(!line.is_empty());
    drop(output);
    let deadline = Instant::now() + Duration::from_secs(30);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            feeder.join().unwrap();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    feeder.join().unwrap();
    Some(code.unwrap_or(-1))
}

#[test]
fn every_mass_tool_ends_quietly_when_its_reader_stops() {
    let dir = tempfile::tempdir().unwrap();
    let deck = |rate_offset: usize| {
        let mut csv = String::from("prefix,destination,rate\n");
        for i in 0..40_000 {
            csv.push_str(&format!(
                "1{i:05},Place {i},0.{:04}\n",
                (i + rate_offset) % 997 + 1
            ));
        }
        csv
    };
    std::fs::write(dir.path().join("s.csv"), deck(0)).unwrap();
    std::fs::write(dir.path().join("t.csv"), deck(7)).unwrap();
    let (a, b) = (dir.path().join("a.ratel"), dir.path().join("b.ratel"));
    common::tariff_compile(&[
        "-o".as_ref(),
        a.as_os_str(),
        dir.path().join("s.csv").as_os_str(),
        dir.path().join("t.csv").as_os_str(),
    ]);
    common::tariff_compile(&[
        "-o".as_ref(),
        b.as_os_str(),
        format!("s={}", dir.path().join("t.csv").display()).as_ref(),
    ]);
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // Every other number has no rate (no prefix starts with 9).
    let numbers: String = (0..200_000)
        .map(|i| format!("{}{:09}\n", if i % 2 == 0 { 1 } else { 9 }, i * 7))
        .collect();
    let cdrs = format!(
        "number,billsec\n{}",
        numbers
            .lines()
            .map(|n| format!("{n},60\n"))
            .collect::<String>()
    );
    let runs: [(&str, Vec<&str>, &str); 5] = [
        (
            env!("CARGO_BIN_EXE_tariff-lookup"),
            vec!["-a", a, "-t", "s", "--fail-on-unrated"],
            &numbers,
        ),
        (
            env!("CARGO_BIN_EXE_tariff-rate"),
            vec!["-a", a, "-t", "s", "--fail-on-unrated"],
            &cdrs,
        ),
        (env!("CARGO_BIN_EXE_tariff-diff"), vec![a, b, "-t", "s"], ""),
        (
            env!("CARGO_BIN_EXE_tariff-lcr"),
            vec![
                "-a",
                a,
                "--sell",
                "s",
                "--supplier",
                "t",
                "--fail-on-unrated",
            ],
            &numbers,
        ),
        (
            env!("CARGO_BIN_EXE_tariff-lcr"),
            vec!["-a", a, "--sell", "s", "--supplier", "t", "--prefixes"],
            "",
        ),
    ];
    for (exe, args, stdin) in &runs {
        for _ in 0..6 {
            let mut args = args.clone();
            args.extend(["--threads", "2"]);
            assert_eq!(
                first_line_then_close(exe, &args, stdin.as_bytes()),
                Some(0),
                "{exe} {args:?}"
            );
        }
    }
}
