//! Dialled-number normalisation ("localization" in MOR): the one rule set that turns a number
//! as dialled into the digits the longest-prefix match runs on, shared by every place a number
//! comes in (`rate_get` with `by_full_dst=1`, `/v1/*`, `tariff-lookup`, `tariff-rate`,
//! `tariff-lcr`). The defaults are the rule Ratel always had: non-digits dropped, the first
//! 20 digits kept, nothing else.

use crate::tariff::MAX_PREFIX_DIGITS;

/// The `[numbers]` rules (docs/config.md), with defaults that change nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NumberRules {
    /// Prefixes dialled before a country code (`"00"`, `"011"`): the first that starts the
    /// number's digits is stripped.
    pub international_prefixes: Vec<String>,
    /// The national trunk prefix (`"0"`): replaced by [`NumberRules::country_code`] when
    /// both are set.
    pub national_prefix: Option<String>,
    /// The country code a national number belongs to (`"370"`).
    pub country_code: Option<String>,
    /// Numbers of fewer digits (after normalisation) are not rated: internal extensions.
    pub min_digits: usize,
}

impl NumberRules {
    /// Whether these are the defaults (today's behaviour: non-digits dropped, nothing else).
    pub fn is_default(&self) -> bool {
        *self == NumberRules::default()
    }

    /// The digits `number` is matched on, in `buffer`, or `None` when it is not rated
    /// (fewer than `min_digits` digits):
    ///
    /// 1. a leading `+` (after spaces) means the number is international as written;
    /// 2. otherwise every non-digit is dropped and the first international prefix it starts
    ///    with is stripped; if none, a number starting with the national prefix has it
    ///    replaced by the country code (when both are set);
    /// 3. the first 20 digits are kept.
    ///
    /// ```
    /// use ratel_engine::lookup::NumberRules;
    /// let rules = NumberRules {
    ///     international_prefixes: vec!["00".into(), "011".into()],
    ///     national_prefix: Some("0".into()),
    ///     country_code: Some("370".into()),
    ///     min_digits: 5,
    /// };
    /// let mut buffer = [0; 20];
    /// for number in ["0037061234567", "01137061234567", "+370 612 34-567", "061234567"] {
    ///     assert_eq!(rules.normalize(number.as_bytes(), &mut buffer), Some(&b"37061234567"[..]));
    /// }
    /// assert_eq!(rules.normalize(b"3706", &mut buffer), None);
    /// ```
    pub fn normalize<'b>(
        &self,
        number: &[u8],
        buffer: &'b mut [u8; MAX_PREFIX_DIGITS],
    ) -> Option<&'b [u8]> {
        if let Some(len) = self.normalize_plain(number, buffer) {
            return (len >= self.min_digits).then_some(&buffer[..len]);
        }
        self.normalize_general(number, buffer)
    }

    /// [`NumberRules::normalize`] digit by digit, for any number.
    fn normalize_general<'b>(
        &self,
        number: &[u8],
        buffer: &'b mut [u8; MAX_PREFIX_DIGITS],
    ) -> Option<&'b [u8]> {
        let international = number.trim_ascii_start().first() == Some(&b'+');
        let digits = || number.iter().copied().filter(u8::is_ascii_digit);
        // Whether the number's digits start with `prefix` (never with an empty one).
        let starts = |prefix: &[u8]| {
            !prefix.is_empty() && digits().take(prefix.len()).eq(prefix.iter().copied())
        };
        // The digits put in front, and how many of the number's are dropped for them.
        let (head, skip): (&[u8], usize) = if international {
            (&[], 0)
        } else if let Some(prefix) = self
            .international_prefixes
            .iter()
            .map(String::as_bytes)
            .find(|prefix| starts(prefix))
        {
            (&[], prefix.len())
        } else {
            match (&self.national_prefix, &self.country_code) {
                (Some(national), Some(country)) if starts(national.as_bytes()) => {
                    (country.as_bytes(), national.len())
                }
                _ => (&[], 0),
            }
        };
        let mut len = 0;
        let kept = head.iter().copied().filter(u8::is_ascii_digit);
        for byte in kept.chain(digits().skip(skip)).take(MAX_PREFIX_DIGITS) {
            buffer[len] = byte;
            len += 1;
        }
        (len >= self.min_digits).then_some(&buffer[..len])
    }

    /// [`NumberRules::normalize`] for a number of digits only (as switches send them), on
    /// slices rather than digit by digit: its length in `buffer`, or `None` for a number
    /// with anything but digits (then the general steps run).
    fn normalize_plain(
        &self,
        number: &[u8],
        buffer: &mut [u8; MAX_PREFIX_DIGITS],
    ) -> Option<usize> {
        if !all_digits(number) {
            return None;
        }
        // Byte by byte: prefixes are a few digits, shorter than a call to `memcmp`.
        let starts = |prefix: &str| {
            let prefix = prefix.as_bytes();
            !prefix.is_empty()
                && prefix.len() <= number.len()
                && prefix.iter().zip(number).all(|(a, b)| a == b)
        };
        let (head, rest): (&[u8], &[u8]) =
            match self.international_prefixes.iter().find(|p| starts(p)) {
                Some(prefix) => (&[], &number[prefix.len()..]),
                None => match (&self.national_prefix, &self.country_code) {
                    (Some(national), Some(country)) if starts(national) => {
                        (country.as_bytes(), &number[national.len()..])
                    }
                    _ => (&[], number),
                },
            };
        if !head.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let head = &head[..head.len().min(MAX_PREFIX_DIGITS)];
        let rest = &rest[..rest.len().min(MAX_PREFIX_DIGITS - head.len())];
        buffer[..head.len()].copy_from_slice(head);
        buffer[head.len()..head.len() + rest.len()].copy_from_slice(rest);
        Some(head.len() + rest.len())
    }
}

/// Whether every byte of `bytes` is an ASCII digit, eight bytes at a time (a number is
/// checked once a call, and byte by byte cost more than the rest of its normalisation).
#[inline]
fn all_digits(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    let mut words = bytes.chunks_exact(8);
    // A byte is a digit when its high nibble is 3 and its low nibble plus 6 stays below 16:
    // neither test carries out of its byte.
    let digits = words.by_ref().all(|word| {
        let word = u64::from_ne_bytes(word.try_into().unwrap_or_default());
        word & (0xf0 * ONES) == 0x30 * ONES && (word + 0x06 * ONES) & (0xf0 * ONES) == 0x30 * ONES
    });
    digits && words.remainder().iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests;
