//! The streaming pipeline behind the mass tools: work items in, rows out, in order, on all
//! cores. `tariff-lookup` and `tariff-rate` feed it chunks of their input's lines ([`run`]);
//! `tariff-diff` and `tariff-lcr --prefixes` feed it slices of the prefix space
//! ([`run_items`]).
//!
//! Worker threads turn items into output while the caller produces items and a writer thread
//! writes, each item's result handed over through its own one-slot channel queued in item
//! order. The queues are bounded, so memory stays a few items' output whatever the input
//! size, and order is kept without a reorder buffer. Lines are cut into chunks at line ends.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

/// The lines of a chunk, without their `\n` (the last may have none); an empty line is a line.
pub fn lines(chunk: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = chunk;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None => (rest, &[][..]),
        };
        rest = next;
        Some(line)
    })
}

/// What a tool does with its input's lines.
pub trait ChunkWork: Sync {
    /// A worker's own state (caches), kept from chunk to chunk.
    type State: Default;

    /// Appends the output rows of `chunk` (whole lines, the first being line `first_line` of
    /// the input) to `out`, and anything to report about them (error lines) to `notes`.
    fn process(
        &self,
        chunk: &[u8],
        first_line: u64,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        state: &mut Self::State,
    );
}

/// What a tool does with each of a sequence of items (slices of the prefix space).
pub trait ItemWork: Sync {
    type Item: Send;
    /// A worker's own state (caches), kept from item to item.
    type State: Default;

    /// Appends the output rows of `item` to `out`, and anything to report about them to
    /// `notes`.
    fn process(
        &self,
        item: Self::Item,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        state: &mut Self::State,
    );
}

/// Input bytes per chunk handed to a worker.
pub const CHUNK_BYTES: usize = 256 << 10;

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

/// Chunks of lines as items (a chunk and the line number of its first line), their buffers
/// going back to `pool` for the reader to fill again.
struct Chunks<'w, W> {
    work: &'w W,
    pool: BufferPool,
}

impl<W: ChunkWork> ItemWork for Chunks<'_, W> {
    type Item = (Vec<u8>, u64);
    type State = W::State;

    fn process(
        &self,
        (chunk, line): Self::Item,
        out: &mut Vec<u8>,
        notes: &mut Vec<u8>,
        state: &mut W::State,
    ) {
        self.work.process(&chunk, line, out, notes, state);
        self.pool.give(chunk);
    }
}

/// Streams `input` to `output` on `threads` workers: `header` first, then each chunk's output
/// in input order; what `work` notes about a chunk (error lines) goes to `notes`, in input
/// order too. `first_line` is the line number of the input's first line (2 after a header
/// row read by the caller). Returns the lines read.
pub fn run<W: ChunkWork>(
    work: &W,
    mut input: impl Read,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    first_line: u64,
    threads: usize,
) -> io::Result<u64> {
    let mut lines = 0u64;
    let first_line = first_line.max(1);
    let chunks = Chunks {
        work,
        pool: BufferPool::default(),
    };
    let pool = &chunks.pool;
    ordered(&chunks, output, header, notes, threads, |send| {
        let mut carry: Vec<u8> = Vec::new();
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
                let line = first_line + lines;
                lines += memchr::memchr_iter(b'\n', &chunk).count() as u64
                    + u64::from(*chunk.last().unwrap_or(&b'\n') != b'\n');
                if !send((chunk, line)) {
                    return Ok(()); // the writer stopped; its error is reported by `ordered`
                }
            }
            if at_end {
                return Ok(());
            }
        }
    })?;
    Ok(lines)
}

/// Runs `work` over `items` on `threads` workers: `header` first, then each item's output in
/// item order, notes in item order on `notes`.
pub fn run_items<W: ItemWork>(
    work: &W,
    items: impl IntoIterator<Item = W::Item>,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    threads: usize,
) -> io::Result<()> {
    ordered(work, output, header, notes, threads, |send| {
        for item in items {
            if !send(item) {
                break;
            }
        }
        Ok(())
    })
}

/// The machinery under [`run`] and [`run_items`]: `produce` hands items to `send` (which
/// says `false` once the writer has stopped) in order; workers process them; the writer
/// writes their output in the order they were sent.
fn ordered<W: ItemWork>(
    work: &W,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    threads: usize,
    produce: impl FnOnce(&mut dyn FnMut(W::Item) -> bool) -> io::Result<()>,
) -> io::Result<()> {
    type Reply = SyncSender<(Vec<u8>, Vec<u8>)>;
    let threads = threads.max(1);
    let (work_tx, work_rx) = sync_channel::<(W::Item, Reply)>(threads * 2);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (order_tx, order_rx) = sync_channel::<Receiver<(Vec<u8>, Vec<u8>)>>(threads * 4);
    let pool = BufferPool::default();
    let pool = &pool;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let work_rx = Arc::clone(&work_rx);
            scope.spawn(move || {
                let mut state = W::State::default();
                loop {
                    let next = work_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((item, reply)) = next else {
                        break;
                    };
                    let mut out = pool.take();
                    let mut noted = Vec::new();
                    work.process(item, &mut out, &mut noted, &mut state);
                    if reply.send((out, noted)).is_err() {
                        break;
                    }
                }
            });
        }
        let writer = scope.spawn(move || -> io::Result<()> {
            let mut output = io::BufWriter::with_capacity(1 << 20, output);
            let mut notes = notes;
            output.write_all(header)?;
            for pending in order_rx {
                let Ok((block, noted)) = pending.recv() else {
                    break;
                };
                output.write_all(&block)?;
                pool.give(block);
                if !noted.is_empty() {
                    notes.write_all(&noted)?;
                }
            }
            notes.flush()?;
            output.flush()
        });
        let produced = produce(&mut |item| {
            let (reply_tx, reply_rx) = sync_channel(1);
            order_tx.send(reply_rx).is_ok() && work_tx.send((item, reply_tx)).is_ok()
        });
        drop(order_tx);
        drop(work_tx);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
        produced.and(written)
    })
}
