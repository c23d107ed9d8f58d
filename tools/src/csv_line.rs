//! One CSV line's fields, for the tools that stream rows through unchanged and read a few
//! of their fields (`tariff-rate`): split by `csv_core`, reusing the buffers and the parser
//! line after line, and stopping after the last field wanted.

/// One CSV line's fields, unescaped (RFC 4180 quotes), reusing its buffers and its reader
/// (building a reader builds its state machine: microseconds a line) line after line.
#[derive(Debug)]
pub struct CsvLine {
    delimiter: u8,
    reader: csv_core::Reader,
    bytes: Vec<u8>,
    /// Where each field ends in `bytes`: the first `count` entries (the vector only grows,
    /// so that no line pays for clearing it).
    ends: Vec<usize>,
    count: usize,
    /// The line has more fields than the `wanted` of the last split (they were not read).
    more: bool,
}

impl Default for CsvLine {
    fn default() -> CsvLine {
        CsvLine::new(b',')
    }
}

impl CsvLine {
    /// Fields split at `delimiter`.
    pub fn new(delimiter: u8) -> CsvLine {
        CsvLine {
            delimiter,
            // `csv_core::Reader::default()` has no state machine built; `build` builds it.
            reader: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            bytes: Vec::new(),
            ends: Vec::new(),
            count: 0,
            more: false,
        }
    }

    /// The delimiter fields are split at.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Splits one line (no line end) into its fields, the first `wanted` of them at most
    /// (the fields after are not read: [`CsvLine::len`] is then at most `wanted`, and
    /// [`CsvLine::has_at_least`] tells whether more follow).
    pub fn split(&mut self, line: &[u8], wanted: usize) {
        // Without a quote, RFC 4180 fields are the text between delimiters: taken as they are;
        // a line with a quote (or a stray carriage return, which the reader takes for a line
        // end) goes through the CSV reader.
        if memchr::memchr2(b'"', b'\r', line).is_some() {
            return self.split_quoted(line, wanted);
        }
        // As the reader lays fields out: their bytes end to end, and where each ends.
        self.bytes.clear();
        self.count = 0;
        self.more = false;
        if line.is_empty() {
            return;
        }
        let mut fields = line.split(|&b| b == self.delimiter);
        for field in fields.by_ref().take(wanted) {
            self.bytes.extend_from_slice(field);
            if self.count == self.ends.len() {
                self.ends.push(0);
            }
            self.ends[self.count] = self.bytes.len();
            self.count += 1;
        }
        self.more = wanted > 0 && self.count == wanted && fields.next().is_some();
    }

    /// [`CsvLine::split`] through the CSV reader: quotes, doubled quotes, delimiters in
    /// quotes. The line is read in one call (field by field costs twice as much), up to the
    /// delimiter after field `wanted` at most: the reader says then that its room for field
    /// ends is full with input left, which is how a line with more fields shows, unread.
    fn split_quoted(&mut self, line: &[u8], wanted: usize) {
        use csv_core::ReadRecordResult;
        let reader = &mut self.reader;
        reader.reset();
        // Unescaping only shrinks a field; one spare byte for the end of input. The buffers
        // only grow: a line pays for no clearing.
        if self.bytes.len() < line.len() + 1 {
            self.bytes.resize(line.len() + 1, 0);
        }
        // A line of n bytes has at most n + 1 fields; the reader stops once `wanted` have
        // ended (the rest of the line is not read).
        let most = wanted.min(line.len() + 1);
        if self.ends.len() < most {
            self.ends.resize(most, 0);
        }
        let (mut input, mut written, mut fields) = (line, 0, 0);
        let last = loop {
            let (result, read, out, ends) = reader.read_record(
                input,
                &mut self.bytes[written..],
                &mut self.ends[fields..most],
            );
            // Field ends count from the record's start, across calls.
            input = &input[read..];
            written += out;
            fields += ends;
            match result {
                // The line is read; the empty input of the next call ends the record.
                ReadRecordResult::InputEmpty => {}
                // Buffers sized to the line never run out; the other results end it.
                ReadRecordResult::Record
                | ReadRecordResult::End
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => break result,
            }
        };
        self.count = fields;
        // `wanted` fields ended, and the reader has more: a delimiter came after the last one
        // (with input after it, or as the line's last byte, which the end of input then
        // finds with no room left for the field it would end).
        self.more =
            wanted > 0 && fields == wanted && matches!(last, ReadRecordResult::OutputEndsFull);
    }

    /// The number of fields split.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the line has at least `n` fields, read or not, for `n` up to one past the
    /// `wanted` of the split (at least 1): the fields after `wanted` are not read, but
    /// whether there are more is known.
    pub fn has_at_least(&self, n: usize) -> bool {
        self.count >= n || (self.more && self.count + 1 >= n)
    }

    /// Whether the line had no field (it was empty).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Field `i`, or empty past the last.
    pub fn get(&self, i: usize) -> &[u8] {
        if i >= self.count {
            return &[];
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[start..self.ends[i]]
    }

    /// Every field split, in order.
    pub fn fields(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).map(|i| self.get(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fields(line: &CsvLine) -> Vec<Vec<u8>> {
        line.fields().map(<[u8]>::to_vec).collect()
    }

    proptest! {
        /// The quote-free fast path splits as the CSV reader does, for every delimiter and
        /// every limit.
        #[test]
        fn unquoted_lines_split_as_the_csv_reader_splits_them(
            line in "[a-c0-9 ,;|\t\r]{0,40}",
            delimiter in prop::sample::select(vec![b',', b';', b'|', b'\t']),
            wanted in 1usize..8,
        ) {
            let (mut fast, mut reader) = (CsvLine::new(delimiter), CsvLine::new(delimiter));
            fast.split(line.as_bytes(), wanted);
            reader.split_quoted(line.as_bytes(), wanted);
            prop_assert_eq!(fields(&fast), fields(&reader));
            let mut whole = CsvLine::new(delimiter);
            whole.split(line.as_bytes(), usize::MAX);
            prop_assert_eq!(&fields(&whole)[..whole.len().min(wanted)], &fields(&fast)[..]);
            // Known one field past the ones read.
            for n in (0..=wanted + 1).filter(|_| wanted > 0) {
                prop_assert_eq!(fast.has_at_least(n), whole.len() >= n, "{}", n);
                prop_assert_eq!(reader.has_at_least(n), whole.len() >= n, "{}", n);
            }
        }
    }

    proptest! {
        /// The reader stopped after `wanted` fields gives the first `wanted` fields of the
        /// whole line, quotes or not.
        #[test]
        fn a_split_stopped_early_gives_the_first_fields_of_the_whole_line(
            line in "[a\",\r ]{0,30}",
            wanted in 0usize..8,
        ) {
            let (mut early, mut whole) = (CsvLine::default(), CsvLine::default());
            early.split(line.as_bytes(), wanted);
            whole.split(line.as_bytes(), usize::MAX);
            let first = &fields(&whole)[..whole.len().min(wanted)];
            prop_assert_eq!(&fields(&early)[..], first);
            // Whether the line has `n` fields is known one field past the ones read.
            for n in (0..=wanted + 1).filter(|_| wanted > 0) {
                prop_assert_eq!(early.has_at_least(n), whole.len() >= n, "{}", n);
            }
        }
    }

    #[test]
    fn quoted_fields_doubled_quotes_and_delimiters_in_quotes() {
        let mut line = CsvLine::default();
        line.split(br#"a,"b, ""c""",,d"#, usize::MAX);
        assert_eq!(fields(&line), [&b"a"[..], b"b, \"c\"", b"", b"d"]);
        line.split(br#"a,"b, ""c""",,d"#, 2);
        assert_eq!(fields(&line), [&b"a"[..], b"b, \"c\""]);
        line.split(b"", usize::MAX);
        assert_eq!((line.len(), line.get(0)), (0, &b""[..]));
        let mut semicolons = CsvLine::new(b';');
        semicolons.split(br#""x;y";2,5;"""""#, usize::MAX);
        assert_eq!(fields(&semicolons), [&b"x;y"[..], b"2,5", b"\""]);
    }
}
