//! Line ends: CR LF turned into LF before the `csv` crate sees them, and each record stamped
//! with the physical line it starts on.

/// Reads `R` with every CR LF pair turned into a single LF, and remembers enough about what
/// it has passed on to tell whether a record ended in a line break.
///
/// The `csv` crate parses CR LF files correctly but counts their lines wrong (upstream issue
/// BurntSushi/rust-csv#395), and every Ratel error names a line. Normalising line ends first
/// keeps the counts right. A CR LF inside a quoted field becomes LF too; a lone CR is kept.
#[derive(Debug)]
pub struct CrlfToLf<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// Bytes handed out so far, and whether the last of them was LF.
    passed: u64,
    last_was_lf: bool,
}

impl<R: std::io::Read> CrlfToLf<R> {
    pub fn new(inner: R) -> CrlfToLf<R> {
        CrlfToLf {
            inner,
            buf: vec![0; 1 << 16].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            passed: 0,
            last_was_lf: false,
        }
    }

    /// Whether the normalised input has ended at byte `offset` without a final line break:
    /// then the record that ends there had no terminator.
    fn ends_unterminated_at(&self, offset: u64) -> bool {
        self.eof && self.pos == self.len && offset >= self.passed && !self.last_was_lf
    }

    /// Moves unread bytes to the front and reads more after them.
    fn refill(&mut self) -> std::io::Result<()> {
        self.buf.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        loop {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl<R: std::io::Read> std::io::Read for CrlfToLf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let mut written = 0;
        while written < out.len() {
            // A CR as the last unread byte cannot be judged until the next byte is known.
            let undecided = self.len - self.pos == 1 && self.buf[self.pos] == b'\r' && !self.eof;
            if self.pos == self.len || undecided {
                if written > 0 || self.eof {
                    break;
                }
                self.refill()?;
                continue;
            }
            let window = &self.buf[self.pos..self.len];
            let span = memchr::memchr(b'\r', window).unwrap_or(window.len());
            let take = span.min(out.len() - written);
            out[written..written + take].copy_from_slice(&window[..take]);
            written += take;
            self.pos += take;
            if take < span || self.pos == self.len || written == out.len() {
                continue;
            }
            // buf[pos] is a CR. With its next byte not read yet, the loop's top decides.
            if self.pos + 1 == self.len && !self.eof {
                continue;
            }
            // Its next byte is known (or the input is over): drop it before LF.
            let before_lf = self.pos + 1 < self.len && self.buf[self.pos + 1] == b'\n';
            if !before_lf {
                out[written] = b'\r';
                written += 1;
            }
            self.pos += 1;
        }
        if written > 0 {
            self.passed += written as u64;
            self.last_was_lf = out[written - 1] == b'\n';
        }
        Ok(written)
    }
}

/// Sets `record`'s line to the physical line where it starts. The `csv` crate stamps a record
/// with the position before any blank lines it skipped, so the line is worked out from where
/// the record ends instead: the reader's line after it, less the line breaks inside its
/// quoted fields, less its own terminating line break when it had one.
fn fix_record_line<R: std::io::Read>(
    reader: &csv::Reader<CrlfToLf<R>>,
    record: &mut csv::ByteRecord,
) {
    let after = reader.position();
    let inside = memchr::memchr_iter(b'\n', record.as_slice()).count() as u64;
    let terminated = !reader.get_ref().ends_unterminated_at(after.byte());
    let line = after
        .line()
        .saturating_sub(inside + u64::from(terminated))
        .max(1);
    let mut position = record
        .position()
        .cloned()
        .unwrap_or_else(csv::Position::new);
    position.set_line(line);
    record.set_position(Some(position));
}

/// Reads the next record with its line set right (see [`fix_record_line`]).
pub fn read_record<R: std::io::Read>(
    reader: &mut csv::Reader<CrlfToLf<R>>,
    record: &mut csv::ByteRecord,
) -> csv::Result<bool> {
    let more = reader.read_byte_record(record)?;
    if more {
        fix_record_line(reader, record);
    }
    Ok(more)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Trickle<'a> {
        data: &'a [u8],
        chunk: usize,
    }

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        #[test]
        fn crlf_to_lf_equals_a_plain_replace(
            text in "[ab\r\n]{0,64}",
            chunk in 1usize..8,
            buffer in 1usize..9,
        ) {
            use std::io::Read;
            let mut reader = CrlfToLf::new(Trickle { data: text.as_bytes(), chunk });
            let mut out = Vec::new();
            let mut buf = vec![0u8; buffer];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), text.replace("\r\n", "\n"));
        }
    }
}
