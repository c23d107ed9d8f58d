//! The streaming pipeline behind `tariff-lookup`: numbers in, CSV rows out, in input order.
//!
//! Input is cut into chunks at line ends; worker threads turn chunks into output while the
//! main thread reads and a writer thread writes, each chunk's result handed over through its
//! own one-slot channel queued in input order. The queues are bounded, so memory stays a few
//! chunks whatever the input size, and order is kept without a reorder buffer.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use ratel_engine::artifact::Artifact;
use ratel_engine::lookup::dialed_digits;
use ratel_engine::money::write_ruby_float;
use ratel_engine::tariff::MAX_PREFIX_DIGITS;
use ratel_engine::time::Timestamp;

/// The output's header row.
pub const HEADER: &[u8] = b"number,prefix,destination,rate,connection_fee,increment_s,min_time_s\n";

/// Input bytes per chunk handed to a worker.
const CHUNK_BYTES: usize = 256 << 10;

/// Buffers handed back after use, so that a run of any length allocates only as many as are
/// ever in flight at once (a few dozen): memory is flat, and the allocator is out of the loop.
#[derive(Debug, Default)]
struct BufferPool(Mutex<Vec<Vec<u8>>>);

impl BufferPool {
    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        if let Ok(mut spare) = self.0.lock() {
            spare.push(buffer);
        }
    }
}

/// What to look numbers up in, and how.
#[derive(Debug, Clone, Copy)]
pub struct LookupJob<'a> {
    pub artifact: &'a Artifact,
    pub tariff: usize,
    pub at: Timestamp,
    /// Match the trimmed line as an exact prefix instead of longest-prefix on its digits.
    pub exact: bool,
}

/// Each rate record's row tail (`,destination,rate,connection_fee,increment_s,min_time_s`),
/// formatted the first time a worker meets the record. A deck holds a few thousand distinct
/// records for a million prefixes, so formatting numbers per row would be most of the work.
#[derive(Debug, Default)]
pub struct TailCache {
    /// Per record: (start, end) in `text`, or (0, 0) when not formatted yet.
    spans: Vec<(u32, u32)>,
    text: Vec<u8>,
}

impl TailCache {
    fn tail(&mut self, artifact: &Artifact, record: u32) -> Option<&[u8]> {
        let index = record as usize;
        if index >= self.spans.len() {
            self.spans
                .resize(artifact.record_count().max(index + 1), (0, 0));
        }
        if self.spans[index] == (0, 0) {
            let rate = artifact.record(record)?;
            let start = self.text.len();
            let out = &mut self.text;
            out.push(b',');
            write_csv_field(out, rate.destination);
            out.push(b',');
            write_ruby_float(out, rate.rate_f64);
            out.push(b',');
            write_ruby_float(out, rate.connection_fee_f64);
            out.push(b',');
            out.extend_from_slice(itoa::Buffer::new().format(rate.increment_s).as_bytes());
            out.push(b',');
            out.extend_from_slice(itoa::Buffer::new().format(rate.min_time_s).as_bytes());
            out.push(b'\n');
            self.spans[index] = (start as u32, self.text.len() as u32);
        }
        let (start, end) = self.spans[index];
        self.text.get(start as usize..end as usize)
    }
}

impl LookupJob<'_> {
    /// Appends one output row per line of `input` (lines end in `\n`; a final line may not).
    pub fn process(&self, input: &[u8], out: &mut Vec<u8>, tails: &mut TailCache) {
        let mut rest = input;
        while !rest.is_empty() {
            let (line, next) = match memchr::memchr(b'\n', rest) {
                Some(end) => (&rest[..end], &rest[end + 1..]),
                None => (rest, &[][..]),
            };
            self.process_line(line.trim_ascii(), out, tails);
            rest = next;
        }
    }

    fn process_line(&self, number: &[u8], out: &mut Vec<u8>, tails: &mut TailCache) {
        write_csv_field(out, number);
        let mut buffer = [0u8; MAX_PREFIX_DIGITS];
        let found = if self.exact {
            self.artifact
                .exact_match(self.tariff, number, self.at)
                .map(|m| (m, number))
        } else {
            let digits = dialed_digits(number, &mut buffer);
            self.artifact
                .longest_match(self.tariff, digits, self.at)
                .map(|m| (m, digits))
        };
        let row = found.and_then(|(m, digits)| {
            let tail = tails.tail(self.artifact, m.record)?;
            Some((&digits[..usize::from(m.prefix_len)], tail))
        });
        match row {
            Some((prefix, tail)) => {
                out.push(b',');
                out.extend_from_slice(prefix);
                out.extend_from_slice(tail);
            }
            None => out.extend_from_slice(b",,,,,,\n"),
        }
    }

    /// Streams `input` to `output` (header first) on `threads` workers; returns lines read.
    pub fn run(
        &self,
        mut input: impl Read,
        output: impl Write + Send,
        threads: usize,
    ) -> io::Result<u64> {
        type Work = (Vec<u8>, SyncSender<Vec<u8>>);
        let threads = threads.max(1);
        let (work_tx, work_rx) = sync_channel::<Work>(threads * 2);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (order_tx, order_rx) = sync_channel::<Receiver<Vec<u8>>>(threads * 4);
        let pool = BufferPool::default();
        let pool = &pool;
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let work_rx = Arc::clone(&work_rx);
                scope.spawn(move || {
                    let mut tails = TailCache::default();
                    loop {
                        let next = work_rx
                            .lock()
                            .map_err(|_| ())
                            .and_then(|rx| rx.recv().map_err(|_| ()));
                        let Ok((chunk, reply)) = next else { break };
                        let mut out = pool.take();
                        self.process(&chunk, &mut out, &mut tails);
                        pool.give(chunk);
                        if reply.send(out).is_err() {
                            break;
                        }
                    }
                });
            }
            let writer = scope.spawn(move || -> io::Result<()> {
                let mut output = io::BufWriter::with_capacity(1 << 20, output);
                output.write_all(HEADER)?;
                for pending in order_rx {
                    let Ok(block) = pending.recv() else { break };
                    output.write_all(&block)?;
                    pool.give(block);
                }
                output.flush()
            });

            let mut lines = 0u64;
            let mut carry: Vec<u8> = Vec::new();
            let read_result = (|| -> io::Result<()> {
                loop {
                    let mut chunk = pool.take();
                    chunk.extend_from_slice(&carry);
                    carry.clear();
                    let start = chunk.len();
                    chunk.resize(start + CHUNK_BYTES, 0);
                    let mut filled = start;
                    // Fill the chunk (short reads from pipes are common).
                    while filled < chunk.len() {
                        match input.read(&mut chunk[filled..]) {
                            Ok(0) => break,
                            Ok(n) => filled += n,
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(e) => return Err(e),
                        }
                    }
                    let at_end = filled < chunk.len();
                    chunk.truncate(filled);
                    if !at_end {
                        // Hand over whole lines only; the partial last line waits for more.
                        match memchr::memrchr(b'\n', &chunk) {
                            Some(end) => {
                                carry.extend_from_slice(&chunk[end + 1..]);
                                chunk.truncate(end + 1);
                            }
                            None => {
                                // One line longer than a chunk: keep reading it.
                                carry = chunk;
                                continue;
                            }
                        }
                    }
                    if !chunk.is_empty() {
                        lines += memchr::memchr_iter(b'\n', &chunk).count() as u64
                            + u64::from(*chunk.last().unwrap_or(&b'\n') != b'\n');
                        let (reply_tx, reply_rx) = sync_channel(1);
                        if order_tx.send(reply_rx).is_err()
                            || work_tx.send((chunk, reply_tx)).is_err()
                        {
                            return Ok(()); // the writer stopped; its error is reported below
                        }
                    }
                    if at_end {
                        return Ok(());
                    }
                }
            })();
            drop(order_tx);
            drop(work_tx);
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
            read_result.and(written).map(|()| lines)
        })
    }
}

/// Writes a CSV field, quoted (RFC 4180) only when it holds a comma, quote or line break.
pub fn write_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if !field
        .iter()
        .any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    for &byte in field {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
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

    fn job(artifact: &Artifact, at: Timestamp, exact: bool) -> LookupJob<'_> {
        LookupJob {
            artifact,
            tariff: 0,
            at,
            exact,
        }
    }

    fn run(job: &LookupJob<'_>, input: &[u8], threads: usize) -> String {
        let mut out = Vec::new();
        job.run(input, &mut out, threads).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rows_follow_input_order_with_quoting_and_misses() {
        let artifact = artifact();
        let job = job(&artifact, Timestamp::parse("2026-01-01").unwrap(), false);
        let out = run(&job, b" +370 612 345 \r\n999\n\n1555\n37", 2);
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
        let long = format!("370{}", "x".repeat(CHUNK_BYTES * 2 + 17));
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
