//! Text encodings: a file's bytes in whatever encoding its author used, UTF-8 out, streamed
//! through a fixed buffer so a deck of any size is read in flat memory.
//!
//! UTF-8 (the default) is passed through untouched: invalid bytes are left for the field
//! validators, which name the line and column. Other encodings go through `encoding_rs`; a
//! sequence that does not decode becomes one byte that is never valid UTF-8 (0xFF), so the
//! field that held it is reported the same way.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, Encoding};

/// How a file's bytes are turned into text. A byte-order mark at the start of the file
/// always wins: UTF-8's is skipped, and UTF-16's switches to UTF-16 in that byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8.
    #[default]
    Utf8,
    /// UTF-16, little- or big-endian as the byte-order mark (which must be there) says.
    Utf16ByBom,
    /// Another encoding, by its WHATWG name (`windows-1252`, `UTF-16LE`, `ISO-8859-2`, ...).
    Other(&'static Encoding),
}

impl TextEncoding {
    /// The encoding named by `label`: `utf-8`, `utf-16` (byte order by byte-order mark),
    /// `windows-1252` (also `cp1252`, `latin1`, `iso-8859-1`, which the web platform reads
    /// as Windows-1252 too), or any other WHATWG label (`utf-16le`, `iso-8859-2`, ...).
    pub fn from_label(label: &str) -> Result<TextEncoding, String> {
        let label = label.trim();
        match label.to_ascii_lowercase().as_str() {
            "utf-16" | "utf16" => return Ok(TextEncoding::Utf16ByBom),
            "latin-1" => return Ok(TextEncoding::Other(encoding_rs::WINDOWS_1252)),
            _ => {}
        }
        match Encoding::for_label(label.as_bytes()) {
            Some(encoding) if encoding == encoding_rs::UTF_8 => Ok(TextEncoding::Utf8),
            Some(encoding) if encoding == encoding_rs::REPLACEMENT => Err(format!(
                "encoding \"{label}\" cannot be decoded; use utf-8, windows-1252, latin1 or utf-16"
            )),
            Some(encoding) => Ok(TextEncoding::Other(encoding)),
            None => Err(format!(
                "unknown encoding \"{label}\": use utf-8, windows-1252, latin1, utf-16 \
                 (by byte-order mark), utf-16le, utf-16be or another WHATWG label"
            )),
        }
    }

    /// The encoding's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16ByBom => "UTF-16",
            TextEncoding::Other(encoding) => encoding.name(),
        }
    }
}

impl std::str::FromStr for TextEncoding {
    type Err = String;

    fn from_str(label: &str) -> Result<TextEncoding, String> {
        TextEncoding::from_label(label)
    }
}

/// Bytes of input read per refill.
const RAW_BUFFER: usize = 1 << 16;

/// The byte written in place of a sequence that does not decode: never valid in UTF-8.
const UNDECODABLE: u8 = 0xFF;

#[derive(Debug)]
enum Mode {
    /// The byte-order mark has not been looked at yet.
    Start(TextEncoding),
    /// UTF-8: bytes pass through.
    Pass,
    Transcode(Decoder),
    /// The decoder has flushed its last output.
    Done,
}

/// Reads `R` in `encoding` and hands out UTF-8 (see the module docs for invalid input).
#[derive(Debug)]
pub struct Decode<R> {
    inner: R,
    mode: Mode,
    raw: Box<[u8]>,
    pos: usize,
    len: usize,
    eof: bool,
    /// An undecodable sequence whose marker byte did not fit in the last output.
    pending_marker: bool,
    raw_read: u64,
}

impl<R: Read> Decode<R> {
    pub fn new(inner: R, encoding: TextEncoding) -> Decode<R> {
        Decode {
            inner,
            mode: Mode::Start(encoding),
            raw: vec![0; RAW_BUFFER].into_boxed_slice(),
            pos: 0,
            len: 0,
            eof: false,
            pending_marker: false,
            raw_read: 0,
        }
    }

    /// Bytes read from the underlying input so far (for progress).
    pub fn raw_bytes_read(&self) -> u64 {
        self.raw_read
    }

    /// Reads more raw bytes after the unread ones; sets `eof` at the end.
    fn refill(&mut self) -> io::Result<()> {
        self.raw.copy_within(self.pos..self.len, 0);
        self.len -= self.pos;
        self.pos = 0;
        loop {
            match self.inner.read(&mut self.raw[self.len..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.len += n;
                    self.raw_read += n as u64;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Looks for a byte-order mark and settles the mode.
    fn start(&mut self, encoding: TextEncoding) -> io::Result<()> {
        while self.len - self.pos < 3 && !self.eof {
            self.refill()?;
        }
        let head = &self.raw[self.pos..self.len];
        let (mode, skip) =
            if head.starts_with(b"\xEF\xBB\xBF") {
                (Mode::Pass, 3)
            } else if head.starts_with(b"\xFF\xFE") {
                (Mode::Transcode(transcoder(encoding_rs::UTF_16LE)), 2)
            } else if head.starts_with(b"\xFE\xFF") {
                (Mode::Transcode(transcoder(encoding_rs::UTF_16BE)), 2)
            } else {
                match encoding {
                    TextEncoding::Utf8 => (Mode::Pass, 0),
                    TextEncoding::Other(encoding) => (Mode::Transcode(transcoder(encoding)), 0),
                    TextEncoding::Utf16ByBom => return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "encoding utf-16 needs a byte-order mark (FF FE or FE FF) at the start \
                         of the file; name the byte order with utf-16le or utf-16be",
                    )),
                }
            };
        self.pos += skip;
        self.mode = mode;
        Ok(())
    }
}

fn transcoder(encoding: &'static Encoding) -> Decoder {
    encoding.new_decoder_without_bom_handling()
}

impl<R: Read> Read for Decode<R> {
    /// Fills `out` with UTF-8; 0 only at the end of the input. `out` must hold at least 4
    /// bytes for a transcoded input to make progress.
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Mode::Start(encoding) = self.mode {
            self.start(encoding)?;
        }
        let mut written = 0;
        if self.pending_marker && !out.is_empty() {
            out[0] = UNDECODABLE;
            written = 1;
            self.pending_marker = false;
        }
        loop {
            if matches!(self.mode, Mode::Done) {
                return Ok(written);
            }
            if self.pos == self.len && !self.eof {
                if written > 0 {
                    return Ok(written);
                }
                self.refill()?;
                continue;
            }
            match &mut self.mode {
                Mode::Start(_) | Mode::Pass | Mode::Done => {
                    let take = (self.len - self.pos).min(out.len() - written);
                    out[written..written + take]
                        .copy_from_slice(&self.raw[self.pos..self.pos + take]);
                    self.pos += take;
                    return Ok(written + take);
                }
                Mode::Transcode(decoder) => {
                    let (result, read, wrote) = decoder.decode_to_utf8_without_replacement(
                        &self.raw[self.pos..self.len],
                        &mut out[written..],
                        self.eof,
                    );
                    self.pos += read;
                    written += wrote;
                    match result {
                        DecoderResult::Malformed(_, _) => {
                            if written < out.len() {
                                out[written] = UNDECODABLE;
                                written += 1;
                            } else {
                                self.pending_marker = true;
                            }
                        }
                        DecoderResult::OutputFull => return Ok(written),
                        DecoderResult::InputEmpty if self.eof => {
                            self.mode = Mode::Done;
                            return Ok(written);
                        }
                        DecoderResult::InputEmpty => {}
                    }
                    if written == out.len() {
                        return Ok(written);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::input::testing::Trickle;

    fn decode(
        data: &[u8],
        encoding: TextEncoding,
        chunk: usize,
        out: usize,
    ) -> io::Result<Vec<u8>> {
        let mut reader = Decode::new(Trickle { data, chunk }, encoding);
        let mut text = Vec::new();
        let mut buf = vec![0u8; out];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                return Ok(text);
            }
            text.extend_from_slice(&buf[..n]);
        }
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        let mut bytes = if big_endian {
            vec![0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE]
        };
        for unit in text.encode_utf16() {
            let pair = if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            };
            bytes.extend_from_slice(&pair);
        }
        bytes
    }

    #[test]
    fn byte_order_marks_choose_the_encoding_whatever_was_asked() {
        let text = "prefix,destination\n225,Côte d'Ivoire 日本\n";
        for asked in [
            TextEncoding::Utf8,
            TextEncoding::Utf16ByBom,
            TextEncoding::Other(encoding_rs::WINDOWS_1252),
        ] {
            for big_endian in [false, true] {
                let got = decode(&utf16(text, big_endian), asked, 3, 7).unwrap();
                assert_eq!(String::from_utf8(got).unwrap(), text, "{asked:?}");
            }
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(text.as_bytes());
            assert_eq!(decode(&with_bom, asked, 1, 5).unwrap(), text.as_bytes());
        }
    }

    #[test]
    fn windows_1252_and_latin1_decode_to_utf8() {
        let cp1252 = b"225;C\xF4te d'Ivoire;0,05 \x80\n";
        for label in ["windows-1252", "cp1252", "latin1", "ISO-8859-1", "Latin-1"] {
            let encoding = TextEncoding::from_label(label).unwrap();
            let got = decode(cp1252, encoding, 2, 4).unwrap();
            assert_eq!(
                String::from_utf8(got).unwrap(),
                "225;Côte d'Ivoire;0,05 €\n"
            );
        }
    }

    #[test]
    fn utf8_passes_through_even_when_invalid_and_utf16_without_a_mark_is_refused() {
        let bytes = b"a,\xFF\xE0b\n";
        assert_eq!(decode(bytes, TextEncoding::Utf8, 1, 1).unwrap(), bytes);
        let error = decode(b"a\0,\0", TextEncoding::Utf16ByBom, 4, 8).unwrap_err();
        assert!(error.to_string().contains("byte-order mark"), "{error}");
        let le = TextEncoding::from_label("utf-16le").unwrap();
        assert_eq!(decode(b"a\0,\0", le, 1, 4).unwrap(), b"a,");
    }

    #[test]
    fn undecodable_sequences_become_an_invalid_utf8_byte_in_place() {
        // A lone high surrogate (D800) between "abcd" and "e", in UTF-16LE.
        let bytes = b"\xFF\xFEa\0b\0c\0d\0\x00\xD8e\0\n\0";
        // Every chunking and output size, so the marker also lands just past a full output.
        for chunk in 1..6 {
            for out in 4..9 {
                let got = decode(bytes, TextEncoding::Utf8, chunk, out).unwrap();
                assert_eq!(got, b"abcd\xFFe\n", "chunk {chunk}, out {out}");
            }
        }
        // An odd byte at the end of UTF-16 is undecodable too.
        let got = decode(b"\xFF\xFEa\0b", TextEncoding::Utf8, 2, 4).unwrap();
        assert_eq!(got, b"a\xFF");
    }

    #[test]
    fn unknown_labels_are_refused_with_the_choices() {
        let error = TextEncoding::from_label("klingon").unwrap_err();
        assert!(error.contains("windows-1252"), "{error}");
        assert!(TextEncoding::from_label("iso-2022-kr").is_err());
        assert_eq!(TextEncoding::from_label("UTF8"), Ok(TextEncoding::Utf8));
    }

    proptest::proptest! {
        #[test]
        fn any_text_survives_utf16_and_windows_1252_round_trips(
            text in "[a-z;,\"\n\r àéîõüß€日本🎉]{0,60}",
            chunk in 1usize..9,
            out in 4usize..12,
        ) {
            for big_endian in [false, true] {
                let got = decode(&utf16(&text, big_endian), TextEncoding::Utf8, chunk, out).unwrap();
                proptest::prop_assert_eq!(String::from_utf8(got).unwrap(), text.clone());
            }
            let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
            if !lossy {
                let encoding = TextEncoding::Other(encoding_rs::WINDOWS_1252);
                let got = decode(&bytes, encoding, chunk, out).unwrap();
                proptest::prop_assert_eq!(String::from_utf8(got).unwrap(), text);
            }
        }
    }
}
