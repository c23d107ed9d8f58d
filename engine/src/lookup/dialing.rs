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
        let international = number.trim_ascii_start().first() == Some(&b'+');
        // All of the digits first (a prefix may be cut), then the rules, then 20 kept.
        let mut all = [0u8; 64];
        let mut n = 0;
        let mut more = Vec::new();
        for &byte in number {
            if byte.is_ascii_digit() {
                if n < all.len() {
                    all[n] = byte;
                    n += 1;
                } else {
                    more.push(byte);
                }
            }
        }
        let long;
        let digits: &[u8] = if more.is_empty() {
            &all[..n]
        } else {
            long = [&all[..], &more[..]].concat();
            &long
        };
        let mut head: &[u8] = &[];
        let mut rest = digits;
        if !international {
            let stripped = self
                .international_prefixes
                .iter()
                .map(String::as_bytes)
                .find(|prefix| !prefix.is_empty() && digits.starts_with(prefix));
            if let Some(prefix) = stripped {
                rest = &digits[prefix.len()..];
            } else if let (Some(national), Some(country)) =
                (&self.national_prefix, &self.country_code)
            {
                if !national.is_empty() && digits.starts_with(national.as_bytes()) {
                    head = country.as_bytes();
                    rest = &digits[national.len()..];
                }
            }
        }
        let mut len = 0;
        for &byte in head.iter().filter(|b| b.is_ascii_digit()).chain(rest) {
            if len == MAX_PREFIX_DIGITS {
                break;
            }
            buffer[len] = byte;
            len += 1;
        }
        (len >= self.min_digits).then_some(&buffer[..len])
    }
}

#[cfg(test)]
mod tests;
