//! The streaming pipeline behind the mass tools: work items in, rows out, in order, on all
//! cores. `tariff-lookup` and `tariff-rate` feed it chunks of their input's lines ([`run`]);
//! `tariff-diff` and `tariff-lcr --prefixes` feed it slices of the prefix space
//! ([`run_items`]).
//!
//! Worker threads (the caller's among them) each take the next item in turn (reading the
//! next chunk of input, one worker at a time) and turn it into output, while a writer thread
//! writes, each item's result handed over through its own two-message channel queued in item
//! order as the item is taken. The queues are bounded, so memory stays a few items' output
//! whatever the input size, and order is kept without a reorder buffer. Lines are cut into
//! chunks at line ends, and counted by the worker that processes them, not by the reader: a
//! note names a line by its place in its chunk ([`Notes::line`]), and the writer, which takes
//! chunks in input order, turns that into the input's line number. With one thread, reading
//! and processing take turns.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Mutex, PoisonError};

/// `N` counts of a run (rows rated, unmatched, …) for the summary a tool writes at its end.
/// Workers count in a local `[u64; N]` and [`Tally::add`] it once a chunk or item: no shared
/// counter is touched per row, so counting costs the streaming nothing.
#[derive(Debug)]
pub struct Tally<const N: usize>([AtomicU64; N]);

impl<const N: usize> Default for Tally<N> {
    fn default() -> Tally<N> {
        Tally(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl<const N: usize> Tally<N> {
    /// Adds a worker's counts of one chunk or item.
    pub fn add(&self, counts: [u64; N]) {
        for (total, count) in self.0.iter().zip(counts) {
            if count > 0 {
                total.fetch_add(count, Ordering::Relaxed);
            }
        }
    }

    /// The counts so far (all of them once the run is over).
    pub fn get(&self) -> [u64; N] {
        std::array::from_fn(|i| self.0[i].load(Ordering::Relaxed))
    }
}

/// The lines of a chunk, without their `\n` (the last may have none; an empty line is a
/// line), each with its place in the chunk (0 first).
pub fn lines(chunk: &[u8]) -> ChunkLines<'_> {
    ChunkLines {
        rest: chunk,
        taken: 0,
    }
}

/// The lines of a chunk ([`lines`]), counting those taken: once the work is done, the rest
/// are counted too ([`ChunkLines::count_all`]), so that a work that reads every line pays
/// for no separate count. Each line comes with its place in the chunk, the number a note
/// about it gives [`Notes::line`]: the two cannot drift apart.
#[derive(Debug)]
pub struct ChunkLines<'c> {
    rest: &'c [u8],
    taken: u64,
}

impl<'c> Iterator for ChunkLines<'c> {
    type Item = (&'c [u8], u64);

    #[inline]
    fn next(&mut self) -> Option<(&'c [u8], u64)> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, next) = match memchr::memchr(b'\n', self.rest) {
            Some(end) => (&self.rest[..end], &self.rest[end + 1..]),
            None => (self.rest, &[][..]),
        };
        self.rest = next;
        self.taken += 1;
        Some((line, self.taken - 1))
    }
}

impl ChunkLines<'_> {
    /// How many lines the chunk has: those taken and those left.
    fn count_all(self) -> u64 {
        let rest = self.rest;
        let left = memchr::memchr_iter(b'\n', rest).count() as u64
            + u64::from(rest.last().is_some_and(|&b| b != b'\n'));
        self.taken + left
    }
}

/// What a tool reports about an item or a chunk (error lines, in order), handed to the writer
/// with its rows. A note about a chunk's line names it by its place in the chunk
/// ([`Notes::line`]); the writer writes the input's line number there, knowing how many lines
/// the chunks before had.
#[derive(Debug, Default)]
pub struct Notes {
    text: Vec<u8>,
    /// Where in `text` a line number goes, and that line's place in its chunk (0 first).
    lines: Vec<(usize, u64)>,
}

impl Notes {
    /// Appends text.
    pub fn push(&mut self, text: &[u8]) {
        self.text.extend_from_slice(text);
    }

    /// Appends the input's line number of line `in_chunk` of the chunk (0 its first line).
    pub fn line(&mut self, in_chunk: u64) {
        self.lines.push((self.text.len(), in_chunk));
    }

    /// Appends the notes to `out`, the chunk's first line being line `first_line` of the input.
    fn write_to(&self, first_line: u64, out: &mut Vec<u8>) {
        let mut at = 0;
        for &(mark, in_chunk) in &self.lines {
            out.extend_from_slice(&self.text[at..mark]);
            out.extend_from_slice(itoa::Buffer::new().format(first_line + in_chunk).as_bytes());
            at = mark;
        }
        out.extend_from_slice(&self.text[at..]);
    }
}

/// What a tool does with its input's lines.
pub trait ChunkWork: Sync {
    /// A worker's own state (caches), kept from chunk to chunk.
    type State: Default;

    /// Input bytes a chunk holds. A chunk's output is held whole until it is written, so a
    /// tool whose rows are many times the size of its input lines takes smaller chunks.
    const CHUNK_BYTES: usize = CHUNK_BYTES;

    /// Appends the output rows of a chunk's `lines` to `out`, and anything to report about them
    /// (error lines) to `notes`, which name a line with [`Notes::line`] and the place in the
    /// chunk it came with.
    fn process(
        &self,
        lines: &mut ChunkLines<'_>,
        out: &mut Vec<u8>,
        notes: &mut Notes,
        state: &mut Self::State,
    );
}

/// What a tool does with each of a sequence of items (slices of the prefix space).
pub trait ItemWork: Sync {
    type Item: Send;
    /// A worker's own state (caches), kept from item to item.
    type State: Default;

    /// Writes the output rows of `item` to `out.rows` (calling [`Output::row_done`] after
    /// each, so that an item of any size is handed on in blocks), and anything to report
    /// about them to `notes`.
    fn process(
        &self,
        item: Self::Item,
        out: &mut Output<'_>,
        notes: &mut Notes,
        state: &mut Self::State,
    );
}

/// Output bytes an item hands to the writer at a time.
pub const BLOCK_BYTES: usize = 256 << 10;

/// What a worker sends the writer about one item: full blocks of rows, then the last rows
/// with its notes and its count of input lines (the end; one message, so that a small item
/// wakes the writer once).
#[derive(Debug)]
enum Part {
    Rows(Vec<u8>),
    Done {
        rows: Vec<u8>,
        notes: Notes,
        lines: u64,
    },
}

/// Where a worker writes an item's rows. A full block goes to the writer at once, and waits
/// (at most two blocks an item) while the writer is still on earlier items: memory stays a
/// few blocks an item in flight, however many rows one item has.
#[derive(Debug)]
pub struct Output<'p> {
    pub rows: Vec<u8>,
    reply: SyncSender<Part>,
    pool: &'p BufferPool,
    /// The writer has stopped: nothing more is wanted.
    closed: bool,
    /// The input lines the item held (a chunk's; 0 for other items).
    lines: u64,
}

impl Output<'_> {
    /// Call between rows: hands the rows so far to the writer once they fill a block.
    #[inline]
    pub fn row_done(&mut self) {
        if self.rows.len() >= BLOCK_BYTES {
            if self.closed {
                // Nobody reads any more: drop the rows instead of holding them.
                self.rows.clear();
                return;
            }
            let block = std::mem::replace(&mut self.rows, self.pool.take());
            self.closed = self.reply.send(Part::Rows(block)).is_err();
        }
    }
}

/// Writes smaller than this are gathered before they go out; larger ones go out as they are.
const SMALL_WRITE: usize = 64 << 10;

/// Input bytes per chunk handed to a worker, unless the work says otherwise
/// ([`ChunkWork::CHUNK_BYTES`]).
pub const CHUNK_BYTES: usize = 512 << 10;

/// Buffers handed back after use, so that a run of any length allocates only as many as are
/// ever in flight at once (a few dozen): memory is flat, and the allocator is out of the loop.
#[derive(Debug, Default)]
pub struct BufferPool(Mutex<Vec<Vec<u8>>>);

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

/// Chunks of lines as items, their buffers going back to `pool` for the reader to fill
/// again.
struct Chunks<'w, W> {
    work: &'w W,
    pool: BufferPool,
}

impl<W: ChunkWork> ItemWork for Chunks<'_, W> {
    type Item = Vec<u8>;
    type State = W::State;

    fn process(
        &self,
        chunk: Vec<u8>,
        out: &mut Output<'_>,
        notes: &mut Notes,
        state: &mut W::State,
    ) {
        let mut lines = lines(&chunk);
        // A chunk's rows are bounded by the chunk: one block.
        self.work.process(&mut lines, &mut out.rows, notes, state);
        out.lines = lines.count_all();
        self.pool.give(chunk);
    }
}

/// Streams `input` to `output` on `threads` workers: `header` first, then each chunk's output
/// in input order; what `work` notes about a chunk (error lines) goes to `notes`, in input
/// order too. `first_line` is the line number of the input's first line (2 after a header
/// row read by the caller). Returns the input's lines, as the writer counted them chunk by
/// chunk.
pub fn run<W: ChunkWork>(
    work: &W,
    input: impl Read + Send,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    first_line: u64,
    threads: usize,
) -> io::Result<u64> {
    let chunks = Chunks {
        work,
        pool: BufferPool::default(),
    };
    let mut reader = ChunkReader {
        input,
        chunk_bytes: W::CHUNK_BYTES.max(1),
        pool: &chunks.pool,
        carry: Vec::new(),
        at_end: false,
    };
    ordered(
        &chunks,
        output,
        header,
        notes,
        first_line.max(1),
        threads,
        &mut || reader.next(),
    )
}

/// An input cut into chunks of whole lines, read when a worker asks for the next one.
struct ChunkReader<'p, R> {
    input: R,
    /// Input bytes a chunk holds ([`ChunkWork::CHUNK_BYTES`]).
    chunk_bytes: usize,
    pool: &'p BufferPool,
    /// The partial last line of the chunk before: the start of the next chunk.
    carry: Vec<u8>,
    at_end: bool,
}

impl<R: Read> ChunkReader<'_, R> {
    /// The next chunk; `None` at the end of the input.
    fn next(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut chunk = self.pool.take();
        chunk.extend_from_slice(&self.carry);
        self.carry.clear();
        while !self.at_end {
            let start = chunk.len();
            // Fill the chunk (short reads from pipes are common): `read_to_end` reads into
            // the spare capacity, which nothing has to clear first.
            chunk.reserve(self.chunk_bytes);
            let filled = (&mut self.input)
                .take(self.chunk_bytes as u64)
                .read_to_end(&mut chunk)?;
            if filled < self.chunk_bytes {
                self.at_end = true;
                break;
            }
            // Hand over whole lines only; the partial last line waits for more. Only the
            // bytes read this round can hold a line end: what came before (the carry, or
            // the start of a line longer than a chunk) holds none.
            if let Some(end) = memchr::memrchr(b'\n', &chunk[start..]).map(|i| start + i) {
                self.carry.extend_from_slice(&chunk[end + 1..]);
                chunk.truncate(end + 1);
                break;
            }
            // One line longer than a chunk: keep reading into it (copying it into a new
            // chunk each time would make one very long line quadratic).
        }
        if chunk.is_empty() {
            self.pool.give(chunk);
            return Ok(None);
        }
        Ok(Some(chunk))
    }
}

/// Runs `work` over `items` on `threads` workers: `header` first, then each item's output in
/// item order, notes in item order on `notes`.
pub fn run_items<W: ItemWork>(
    work: &W,
    items: impl IntoIterator<Item = W::Item, IntoIter: Send>,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    threads: usize,
) -> io::Result<()> {
    let mut items = items.into_iter();
    ordered(work, output, header, notes, 1, threads, &mut || {
        Ok(items.next())
    })
    .map(|_| ())
}

/// Where workers take their next item from: `next` (called by one worker at a time), and
/// the queue that tells the writer the order items were taken in.
struct Feed<'n, I> {
    next: &'n mut (dyn FnMut() -> io::Result<Option<I>> + Send),
    /// `None` once the feed is over (the items are all taken, reading failed or panicked, or
    /// the writer stopped): the writer then ends after the items taken.
    order: Option<SyncSender<Receiver<Part>>>,
    /// Why the feed ended early.
    error: Option<io::Error>,
}

impl<I> Feed<'_, I> {
    /// The next item and where its output goes, queued for the writer in the order taken.
    fn take(&mut self) -> Option<(I, SyncSender<Part>)> {
        let order = self.order.as_ref()?;
        // A panic while reading ends the feed here, so that the writer ends (it waits for the
        // queue's sender to go) and the run fails with an error instead of hanging.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut self.next))
            .unwrap_or_else(|_| Err(io::Error::other("reading the input panicked")));
        match next {
            Ok(Some(item)) => {
                let (reply_tx, reply_rx) = sync_channel(2);
                if order.send(reply_rx).is_ok() {
                    return Some((item, reply_tx));
                }
                // The writer stopped; its error is reported by `ordered`.
            }
            Ok(None) => {}
            Err(error) => self.error = Some(error),
        }
        self.order = None;
        None
    }
}

/// The machinery under [`run`] and [`run_items`]: each worker in turn takes the next item
/// from `next` and processes it; the writer writes their output in the order they were
/// taken. Reading is done by the workers themselves (one at a time), not by a thread of its
/// own: a chunk handed from thread to thread could cost two wake-ups, and the scheduler was
/// 4% of `tariff-rate`'s time on two cores. Returns the input lines the items held, the
/// first being line `first_line` (0 for items that are not chunks of lines).
fn ordered<W: ItemWork>(
    work: &W,
    output: impl Write + Send,
    header: &[u8],
    notes: impl Write + Send,
    first_line: u64,
    threads: usize,
    next: &mut (dyn FnMut() -> io::Result<Option<W::Item>> + Send),
) -> io::Result<u64> {
    let threads = threads.max(1);
    let (order_tx, order_rx) = sync_channel::<Receiver<Part>>(threads * 4);
    let feed = Mutex::new(Feed {
        next,
        order: Some(order_tx),
        error: None,
    });
    let pool = BufferPool::default();
    let pool = &pool;
    // Borrows the feed and the pool only: every thread runs a copy.
    let worker = || {
        let mut state = W::State::default();
        loop {
            // `take` catches a panic of the reading, so nothing can poison the lock.
            let taken = feed.lock().unwrap_or_else(PoisonError::into_inner).take();
            let Some((item, reply)) = taken else {
                break;
            };
            let mut out = Output {
                rows: pool.take(),
                reply,
                pool,
                closed: false,
                lines: 0,
            };
            let mut noted = Notes::default();
            // A bug must not pass for the end of the output: a worker that panics drops its
            // reply, and the writer reports the run as failed.
            let processed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                work.process(item, &mut out, &mut noted, &mut state)
            }));
            if processed.is_err()
                || out.closed
                || (out.reply)
                    .send(Part::Done {
                        rows: out.rows,
                        notes: noted,
                        lines: out.lines,
                    })
                    .is_err()
            {
                break;
            }
        }
    };
    let written = std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> io::Result<u64> {
            // Blocks of rows are written as they are (a write as large as the buffer goes
            // past it); the buffer gathers only the header and small blocks.
            let mut output = io::BufWriter::with_capacity(SMALL_WRITE, output);
            let mut notes = notes;
            // The line number of the next item's first line, and an item's notes as written.
            let (mut next_line, mut noted_text) = (first_line, Vec::new());
            output.write_all(header)?;
            for pending in order_rx {
                loop {
                    match pending.recv() {
                        Ok(Part::Rows(block)) => {
                            output.write_all(&block)?;
                            pool.give(block);
                        }
                        Ok(Part::Done {
                            rows,
                            notes: noted,
                            lines,
                        }) => {
                            output.write_all(&rows)?;
                            pool.give(rows);
                            noted_text.clear();
                            noted.write_to(next_line, &mut noted_text);
                            notes.write_all(&noted_text)?;
                            next_line += lines;
                            break;
                        }
                        Err(_) => return Err(io::Error::other(
                            "a worker stopped before finishing its part; the output is incomplete",
                        )),
                    }
                }
            }
            notes.flush()?;
            output.flush()?;
            Ok(next_line - first_line)
        });
        // This thread is a worker too.
        for _ in 1..threads {
            scope.spawn(worker);
        }
        worker();
        writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")))
    });
    // Every thread has ended: a reading error (reported first) is the feed's to give.
    let read = feed
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .error;
    read.map_or(Ok(()), Err).and(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item `i` writes `i × 10,000` numbered rows: some items span many blocks.
    struct Numbered;

    impl ItemWork for Numbered {
        type Item = usize;
        type State = ();

        fn process(&self, item: usize, out: &mut Output<'_>, notes: &mut Notes, _: &mut ()) {
            for row in 0..item * 10_000 {
                out.rows
                    .extend_from_slice(format!("{item}:{row}\n").as_bytes());
                out.row_done();
            }
            notes.push(format!("{item}\n").as_bytes());
        }
    }

    /// Once the writer is gone, an item's rows are dropped block by block, not gathered.
    #[test]
    fn rows_are_not_held_once_nobody_reads_them() {
        let pool = BufferPool::default();
        let (reply, receiver) = sync_channel(2);
        drop(receiver);
        let mut out = Output {
            rows: Vec::new(),
            reply,
            pool: &pool,
            closed: false,
            lines: 0,
        };
        for _ in 0..10 * BLOCK_BYTES / 100 {
            out.rows.extend_from_slice(&[b'x'; 100]);
            out.row_done();
            assert!(out.rows.len() < BLOCK_BYTES + 100);
        }
        assert!(out.closed);
    }

    /// Each line's length, one output row a line; a note with the line number of every line
    /// of length `.0`; at most `.1` lines of a chunk read (the rest left unread).
    struct Lengths(usize, usize);

    impl ChunkWork for Lengths {
        type State = ();

        fn process(
            &self,
            lines: &mut ChunkLines<'_>,
            out: &mut Vec<u8>,
            notes: &mut Notes,
            _: &mut (),
        ) {
            for (line, i) in lines {
                out.extend_from_slice(format!("{}\n", line.len()).as_bytes());
                if line.len() == self.0 {
                    notes.push(b"line ");
                    notes.line(i);
                    notes.push(b"\n");
                }
                if i + 1 == self.1 as u64 {
                    break;
                }
            }
        }
    }

    /// An input that fails after `good` bytes, read a few bytes at a time (as a pipe gives).
    struct FailingAfter<'a> {
        good: &'a [u8],
    }

    impl Read for FailingAfter<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.good.is_empty() {
                return Err(io::Error::other("disk on fire"));
            }
            let n = buf.len().min(self.good.len()).min(7_777);
            buf[..n].copy_from_slice(&self.good[..n]);
            self.good = &self.good[n..];
            Ok(n)
        }
    }

    /// Every line is numbered and in order on any number of workers, across chunk ends, with
    /// lines longer than a chunk, short reads and no final line end, whether or not the work
    /// reads every line of its chunks; a read error ends the run with that error, after the
    /// whole chunks read before it.
    #[test]
    fn workers_reading_in_turn_keep_lines_whole_numbered_and_in_order() {
        let (mut input, mut expected, mut noted) =
            (Vec::new(), String::from("head\n"), String::new());
        for i in 0..40_000usize {
            let len = if i % 9_999 == 7 {
                CHUNK_BYTES + 5
            } else {
                // Not periodic: a note shifted by any number of lines names a line of
                // another length.
                ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize % 97
            };
            input.extend(std::iter::repeat_n(b'x', len));
            input.push(b'\n');
            expected.push_str(&format!("{len}\n"));
            if len == 50 {
                noted.push_str(&format!("line {}\n", i + 3));
            }
        }
        input.extend_from_slice(b"last");
        expected.push_str("4\n");
        let every_line = Lengths(50, usize::MAX);
        for threads in [1, 2, 3] {
            let mut out = Vec::new();
            let slow = FailingAfter { good: &input };
            let ran = run(
                &every_line,
                slow,
                &mut out,
                b"head\n",
                io::sink(),
                3,
                threads,
            );
            assert_eq!(ran.unwrap_err().to_string(), "disk on fire");
            let out = String::from_utf8(out).unwrap();
            assert!(
                out.len() > 1_000 && expected.starts_with(&out),
                "{threads} threads"
            );
            let (mut out, mut notes) = (Vec::new(), Vec::new());
            let lines = run(
                &every_line,
                &input[..],
                &mut out,
                b"head\n",
                &mut notes,
                3,
                threads,
            );
            assert_eq!(lines.unwrap(), 40_001);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                expected,
                "{threads} threads"
            );
            assert_eq!(
                String::from_utf8(notes).unwrap(),
                noted,
                "{threads} threads"
            );
            // A work that reads only the first 2,000 lines of a chunk (of about 10,000): the
            // lines it left are counted all the same, so the line numbers of later chunks
            // stay true.
            let mut notes = Vec::new();
            let lines = run(
                &Lengths(50, 2_000),
                &input[..],
                io::sink(),
                b"",
                &mut notes,
                3,
                threads,
            );
            assert_eq!(lines.unwrap(), 40_001);
            let notes = String::from_utf8(notes).unwrap();
            assert!(notes.lines().count() > 10, "{threads} threads");
            let every_noted: std::collections::HashSet<&str> = noted.lines().collect();
            assert!(
                notes.lines().all(|note| every_noted.contains(note)),
                "{notes}"
            );
        }
    }

    /// An input of line ends whose reading panics after `.0` reads (of 4 KB at most).
    struct PanickingAfter(usize);

    impl Read for PanickingAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            assert!(self.0 > 0, "a reader with a bug");
            self.0 -= 1;
            let n = buf.len().min(4_096);
            buf[..n].fill(b'\n');
            Ok(n)
        }
    }

    /// A panic while reading ends the run with an error, on one thread as on several (the
    /// writer does not wait for ever for more items).
    #[test]
    fn a_reading_that_panics_fails_the_run_instead_of_hanging_it() {
        for threads in [1, 2, 3] {
            let mut out = Vec::new();
            let ran = run(
                &Lengths(1, usize::MAX),
                PanickingAfter(3 * CHUNK_BYTES / 4_096),
                &mut out,
                b"",
                io::sink(),
                1,
                threads,
            );
            assert_eq!(ran.unwrap_err().to_string(), "reading the input panicked");
            assert!(out.starts_with(b"0\n0\n"), "{threads} threads");
        }
    }

    #[test]
    fn items_spanning_many_blocks_come_out_whole_and_in_order() {
        let items = [3, 0, 25, 1, 12, 0, 7];
        let expected: String = items
            .iter()
            .flat_map(|&item| (0..item * 10_000).map(move |row| format!("{item}:{row}\n")))
            .collect();
        assert!(expected.len() > 8 * BLOCK_BYTES);
        for threads in [1, 2, 3] {
            let (mut out, mut notes) = (Vec::new(), Vec::new());
            run_items(&Numbered, items, &mut out, b"head\n", &mut notes, threads).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), format!("head\n{expected}"));
            assert_eq!(notes, b"3\n0\n25\n1\n12\n0\n7\n");
        }
    }
}
