//! The XML layout MOR clients parse (docs/api.md): a declaration, then one element per line,
//! indented two spaces a level, text escaped for `&`, `<` and `>`, and a newline after the
//! root's closing tag. Written straight into a reused buffer: no DOM, no allocation.

/// The declaration every document starts with.
pub const DECLARATION: &[u8] = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Writes one XML document into `out`.
#[derive(Debug)]
pub struct XmlWriter<'a> {
    out: &'a mut Vec<u8>,
    depth: usize,
}

impl<'a> XmlWriter<'a> {
    /// Starts a document (the declaration) at the end of `out`.
    pub fn document(out: &'a mut Vec<u8>) -> XmlWriter<'a> {
        out.extend_from_slice(DECLARATION);
        XmlWriter { out, depth: 0 }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.extend_from_slice(b"  ");
        }
    }

    /// `<name>` on its own line; children follow one level deeper.
    pub fn open(&mut self, name: &str) {
        self.indent();
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b">\n");
        self.depth += 1;
    }

    /// `</name>` closing the element [`XmlWriter::open`] started.
    pub fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b">\n");
    }

    /// `<name>text</name>` with `text` escaped.
    pub fn text(&mut self, name: &str, text: &[u8]) {
        self.with(name, |out| escape(out, text));
    }

    /// `<name>…</name>` whose content `write` appends unescaped (numbers, pre-escaped text).
    pub fn with(&mut self, name: &str, write: impl FnOnce(&mut Vec<u8>)) {
        self.indent();
        self.out.push(b'<');
        self.out.extend_from_slice(name.as_bytes());
        self.out.push(b'>');
        write(self.out);
        self.out.extend_from_slice(b"</");
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b">\n");
    }

    /// `<name>text</name>`, or the self-closing `<name/>` when `text` is empty.
    pub fn text_or_empty(&mut self, name: &str, text: &[u8]) {
        if text.is_empty() {
            self.indent();
            self.out.push(b'<');
            self.out.extend_from_slice(name.as_bytes());
            self.out.extend_from_slice(b"/>\n");
        } else {
            self.text(name, text);
        }
    }
}

/// Appends `text` with `&`, `<` and `>` escaped.
pub fn escape(out: &mut Vec<u8>, text: &[u8]) {
    let mut rest = text;
    while let Some(at) = rest.iter().position(|&b| matches!(b, b'&' | b'<' | b'>')) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(match rest[at] {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            _ => b"&gt;",
        });
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_page_has_the_documented_layout() {
        let mut out = Vec::new();
        let mut xml = XmlWriter::document(&mut out);
        xml.open("page");
        xml.text("error", b"User was not found");
        xml.close("page");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<page>\n  <error>User was not found</error>\n</page>\n"
        );
    }

    #[test]
    fn nesting_escaping_and_self_closing_empties() {
        let mut out = Vec::new();
        let mut xml = XmlWriter::document(&mut out);
        xml.open("page");
        xml.open("status");
        xml.text("error", b"Cards were not found");
        xml.close("status");
        xml.open("cards");
        xml.open("card");
        xml.text("card_name", b"Card & Co <VIP>");
        xml.text_or_empty("card_first_use", b"");
        xml.with("card_balance", |out| {
            out.extend_from_slice(b"10.0840336134454")
        });
        xml.close("card");
        xml.close("cards");
        xml.close("page");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <page>\n  <status>\n    <error>Cards were not found</error>\n  </status>\n  <cards>\n    <card>\n      \
             <card_name>Card &amp; Co &lt;VIP&gt;</card_name>\n      <card_first_use/>\n      \
             <card_balance>10.0840336134454</card_balance>\n    </card>\n  </cards>\n</page>\n"
        );
    }

    #[test]
    fn escape_leaves_other_bytes_alone() {
        let mut out = Vec::new();
        escape(&mut out, "Lietuva & \"ąč\" 'x'".as_bytes());
        assert_eq!(String::from_utf8(out).unwrap(), "Lietuva &amp; \"ąč\" 'x'");
    }
}
