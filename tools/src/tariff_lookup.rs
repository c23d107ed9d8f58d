//! `tariff-lookup`'s work: numbers in, CSV rows out, in input order, on the streaming
//! [`pipeline`].

use std::io::{self, Read, Write};

use crate::csv_field::write_csv_field;
use crate::pipeline::{self, ChunkLines, ChunkWork, Notes, Tally};
use crate::tail_cache::{
    write_first_interval, write_record_columns, RateStyle, TailCache, FIRST_INTERVAL_COLUMN,
};

use ratel_engine::artifact::{Artifact, RateRecord};
use ratel_engine::lookup::NumberRules;
use ratel_engine::tariff::MAX_PREFIX_DIGITS;
use ratel_engine::time::Timestamp;

/// The output's header row.
pub const HEADER: &[u8] = b"number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n";

/// The header row for an artifact with first intervals: [`HEADER`] and one more column,
/// `first_interval_s` (empty for a row without one).
pub fn header(artifact: &Artifact) -> Vec<u8> {
    let mut header = HEADER.to_vec();
    if artifact.has_first_intervals() {
        header.pop();
        header.extend_from_slice(format!(",{FIRST_INTERVAL_COLUMN}\n").as_bytes());
    }
    header
}

/// What to look numbers up in, and how.
#[derive(Debug, Clone, Copy)]
pub struct LookupJob<'a> {
    pub artifact: &'a Artifact,
    pub tariff: usize,
    pub at: Timestamp,
    /// Match the trimmed line as an exact prefix instead of longest-prefix on its digits.
    pub exact: bool,
    /// How a number becomes the digits matched (not used with `exact`).
    pub rules: &'a NumberRules,
}

/// The counts of a `tariff-lookup` run: lines read (one output row each), and of them lines
/// matched (a rate found) and unmatched (the fields after the number empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LookupSummary {
    pub lines: u64,
    pub matched: u64,
    pub unmatched: u64,
}

impl std::fmt::Display for LookupSummary {
    /// `3 lines: 2 matched, 1 unmatched`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} lines: {} matched, {} unmatched",
            self.lines, self.matched, self.unmatched
        )
    }
}

impl LookupJob<'_> {
    /// Appends one output row per line of `lines`; returns how many matched.
    pub fn process(
        &self,
        lines: &mut ChunkLines<'_>,
        out: &mut Vec<u8>,
        tails: &mut TailCache,
    ) -> u64 {
        let mut matched = 0;
        for (line, _) in lines {
            matched += u64::from(self.process_line(line.trim_ascii(), out, tails));
        }
        matched
    }

    /// Appends the row of one number; whether it matched.
    fn process_line(&self, number: &[u8], out: &mut Vec<u8>, tails: &mut TailCache) -> bool {
        write_csv_field(out, number);
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        let found = if self.exact {
            self.artifact
                .exact_match(self.tariff, number, self.at)
                .map(|m| (m, number))
        } else {
            // Too short to be rated (`--min-digits`): unmatched.
            self.rules
                .normalize(number, &mut buffer)
                .and_then(|digits| {
                    self.artifact
                        .longest_match(self.tariff, digits, self.at)
                        .map(|m| (m, digits))
                })
        };
        let first_intervals = self.artifact.has_first_intervals();
        let row = found.and_then(|(m, digits)| {
            let tail = tails.tail(self.artifact, m.record, |rate, out| {
                write_mor_tail(rate, first_intervals, out)
            })?;
            Some((&digits[..usize::from(m.prefix_len)], tail))
        });
        match row {
            Some((prefix, tail)) => {
                out.push(b',');
                out.extend_from_slice(prefix);
                out.extend_from_slice(tail);
                true
            }
            None => {
                out.extend_from_slice(if first_intervals {
                    b",,,,,,,\n"
                } else {
                    b",,,,,,\n"
                });
                false
            }
        }
    }

    /// Streams `input` to `output` (header first) on `threads` workers; returns the counts.
    pub fn run(
        &self,
        input: impl Read + Send,
        output: impl Write + Send,
        threads: usize,
    ) -> io::Result<LookupSummary> {
        let header = header(self.artifact);
        let counting = Counting {
            job: self,
            matched: Tally::default(),
        };
        let lines = pipeline::run(&counting, input, output, &header, io::sink(), 1, threads)?;
        let [matched] = counting.matched.get();
        Ok(LookupSummary {
            lines,
            matched,
            unmatched: lines - matched,
        })
    }
}

/// A lookup run and its count of lines matched, added a chunk at a time.
struct Counting<'j, 'a> {
    job: &'j LookupJob<'a>,
    matched: Tally<1>,
}

impl ChunkWork for Counting<'_, '_> {
    type State = TailCache;

    fn process(
        &self,
        lines: &mut ChunkLines<'_>,
        out: &mut Vec<u8>,
        _: &mut Notes,
        tails: &mut TailCache,
    ) {
        self.matched.add([self.job.process(lines, out, tails)]);
    }
}

/// `tariff-lookup`'s row tail after the prefix: the record's columns, rates as MOR prints
/// them, the first interval when the artifact has any, and the line end.
fn write_mor_tail(rate: &RateRecord<'_>, first_intervals: bool, out: &mut Vec<u8>) {
    write_record_columns(out, rate, RateStyle::Mor, b',');
    if first_intervals {
        write_first_interval(out, rate, b',');
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratel_engine::compile::{compile, TariffSource};

    fn artifact() -> Artifact {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "prefix,rate,destination,connection_fee,increment_s,min_time_s,effective_from\n\
             370,0.987,Lithuania,0,1,0,\n\
             3706,0.1,\"Lithuania, \"\"Mobile\"\"\",0.05,60,30,\n\
             1,0.01,USA,0,1,0,\n\
             1,0.02,USA,0,1,0,2030-01-01\n",
        )
        .unwrap();
        let sources = [TariffSource {
            name: "t".into(),
            currency: "USD".into(),
            path,
        }];
        Artifact::from_bytes(compile(&sources, |_| {}).unwrap().bytes).unwrap()
    }

    static DEFAULT_RULES: NumberRules = NumberRules {
        international_prefixes: Vec::new(),
        national_prefix: None,
        country_code: None,
        min_digits: 0,
    };

    fn job(artifact: &Artifact, at: Timestamp, exact: bool) -> LookupJob<'_> {
        LookupJob {
            artifact,
            tariff: 0,
            at,
            exact,
            rules: &DEFAULT_RULES,
        }
    }

    fn run(job: &LookupJob<'_>, input: &[u8], threads: usize) -> String {
        let mut out = Vec::new();
        let summary = job.run(input, &mut out, threads).unwrap();
        let text = String::from_utf8(out).unwrap();
        // Every line is a row, matched or not.
        assert_eq!(summary.lines, text.lines().count() as u64 - 1);
        assert_eq!(summary.matched + summary.unmatched, summary.lines);
        text
    }

    #[test]
    fn rows_follow_input_order_with_quoting_and_misses() {
        let artifact = artifact();
        let job = job(&artifact, Timestamp::parse("2026-01-01").unwrap(), false);
        let out = run(&job, b" +370 612 345 \r\n999\n\n1555\n37", 2);
        let mut sink = Vec::new();
        assert_eq!(
            job.run(&b" +370 612 345 \r\n999\n\n1555\n37"[..], &mut sink, 2)
                .unwrap(),
            LookupSummary {
                lines: 5,
                matched: 2,
                unmatched: 3
            }
        );
        assert_eq!(
            out,
            "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n\
             +370 612 345,3706,\"Lithuania, \"\"Mobile\"\"\",0.1,0.05,60,30\n\
             999,,,,,,\n\
             ,,,,,,\n\
             1555,1,USA,0.01,0.0,1,0\n\
             37,,,,,,\n"
        );
        let later = LookupJob {
            at: Timestamp::parse("2030-01-01").unwrap(),
            ..job
        };
        assert!(run(&later, b"1555\n", 1).ends_with("1555,1,USA,0.02,0.0,1,0\n"));
    }

    #[test]
    fn a_first_interval_column_is_added_only_when_the_artifact_has_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "prefix,rate,increment_s,first_interval_s\n45,0.5,45/10,\n1,0.01,6,30\n2,0.02,1,\n",
        )
        .unwrap();
        let sources = [TariffSource {
            name: "t".into(),
            currency: "USD".into(),
            path,
        }];
        let artifact = Artifact::from_bytes(compile(&sources, |_| {}).unwrap().bytes).unwrap();
        assert!(artifact.has_first_intervals());
        let job = job(&artifact, Timestamp(0), false);
        assert_eq!(
            run(&job, b"4512\n1555\n2\n999\n", 2),
            "number,prefix,destination,rate,connection_fee,increment_s,min_time_s,\
             first_interval_s\n\
             4512,45,,0.5,0.0,10,0,45\n\
             1555,1,,0.01,0.0,6,0,30\n\
             2,2,,0.02,0.0,1,0,\n\
             999,,,,,,,\n"
        );
        // Without any, the output is as it always was.
        assert!(!self::artifact().has_first_intervals());
    }

    #[test]
    fn exact_mode_needs_the_prefix_itself() {
        let artifact = artifact();
        let job = job(&artifact, Timestamp(0), true);
        assert_eq!(
            run(&job, b"370\n3701\n+370\n", 1),
            "number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n\
             370,370,Lithuania,0.987,0.0,1,0\n3701,,,,,,\n+370,,,,,,\n"
        );
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_one_row() {
        let artifact = artifact();
        let job = job(&artifact, Timestamp(0), false);
        let long = format!("370{}", "x".repeat(pipeline::CHUNK_BYTES * 2 + 17));
        let out = run(&job, format!("1\n{long}\n99").as_bytes(), 2);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[2], format!("{long},370,Lithuania,0.987,0.0,1,0"));
        assert_eq!(lines[3], "99,,,,,,");
    }

    #[test]
    fn many_chunks_keep_their_order_on_several_threads() {
        let artifact = artifact();
        let job = job(&artifact, Timestamp(0), false);
        let mut input = Vec::new();
        for i in 0..200_000u32 {
            input.extend_from_slice(
                format!("{}{i}\n", if i % 3 == 0 { "370" } else { "9" }).as_bytes(),
            );
        }
        let out = run(&job, &input, 3);
        let lines: Vec<&str> = out.lines().skip(1).collect();
        assert_eq!(lines.len(), 200_000);
        for (i, line) in lines.iter().enumerate() {
            let number = line.split(',').next().unwrap();
            let expected = format!("{}{i}", if i % 3 == 0 { "370" } else { "9" });
            assert_eq!(number, expected);
            assert_eq!(line.contains("Lithuania"), i % 3 == 0, "{line}");
        }
    }
}
