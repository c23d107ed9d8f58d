//! One CSV field written the way every tool's rows write text (RFC 4180): the tools' single
//! rule for quoting, so that a destination or a supplier name reads the same in every output.

/// Writes a CSV field, quoted (RFC 4180) only when it holds a comma, quote or line break.
pub fn write_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    write_field(out, field, b',');
}

/// [`write_csv_field`] for a file whose fields are split at `delimiter` (`;`, tab, `|`):
/// quoted when it holds that delimiter, a quote or a line break.
pub fn write_field(out: &mut Vec<u8>, field: &[u8], delimiter: u8) {
    if !field
        .iter()
        .any(|&b| b == delimiter || matches!(b, b'"' | b'\n' | b'\r'))
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
