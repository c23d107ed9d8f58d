//! `currencies.csv` (docs/formats.md): `code,exchange_rate`, units of the currency per one unit of
//! the default currency. The default currency must be listed with rate 1.

use rustc_hash::FxHashMap as HashMap;

use crate::input::{read_csv, ColumnSpec, ErrorList};
use crate::money::Decimal;
use crate::tariff::MAX_AMOUNT_DIGITS;

const CODE: usize = 0;
const RATE: usize = 1;
const COLUMNS: [ColumnSpec; 2] = [
    ColumnSpec {
        name: "code",
        required: true,
    },
    ColumnSpec {
        name: "exchange_rate",
        required: true,
    },
];

/// One currency and its rate against the default currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// As written in the file (`USD`, `EUR`).
    pub code: String,
    /// Units of this currency per one unit of the default currency; always above zero.
    pub rate: Decimal,
}

/// Every known currency, found by code case-insensitively.
#[derive(Debug, Clone)]
pub struct Currencies {
    list: Vec<Currency>,
    by_code: HashMap<String, usize>,
    default: usize,
}

impl Currencies {
    /// The currency with this code, ignoring case.
    pub fn get(&self, code: &str) -> Option<&Currency> {
        self.by_code
            .get(&code.to_ascii_uppercase())
            .map(|&i| &self.list[i])
    }

    /// The default (system) currency.
    pub fn default_currency(&self) -> &Currency {
        &self.list[self.default]
    }

    /// Every currency in file order.
    pub fn all(&self) -> &[Currency] {
        &self.list
    }
}

/// Whether `code` is a plausible currency code: 1–16 letters or digits.
pub fn is_valid_code(code: &str) -> bool {
    (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Reads a `currencies.csv` for conversions between any two of its currencies, with no
/// default currency required (the tools' `--currencies`); `None` when it had errors
/// (recorded in `errors`). Its default currency is the first listed at rate 1, else the
/// first listed.
pub fn read_rates<R: std::io::Read + Send>(
    input: R,
    file: &str,
    errors: &mut ErrorList,
) -> Option<Currencies> {
    read(input, file, None, errors, &mut Vec::new())
}

/// Reads `currencies.csv`; `None` when it had errors (recorded in `errors`). `default_code`
/// must be listed with rate 1 when given.
pub(crate) fn read<R: std::io::Read + Send>(
    input: R,
    file: &str,
    default_code: Option<&str>,
    errors: &mut ErrorList,
    warnings: &mut Vec<String>,
) -> Option<Currencies> {
    let before = errors.total();
    let mut list: Vec<Currency> = Vec::new();
    let mut by_code: HashMap<String, usize> = HashMap::default();
    let mut lines: Vec<u64> = Vec::new();
    read_csv(
        input,
        file,
        &COLUMNS,
        errors,
        warnings,
        |row| {
            let code = row.required_text(CODE, 16);
            if let Some(code) = code.filter(|c| !is_valid_code(c)) {
                row.fail_field(
                    CODE,
                    format!("code \"{code}\" must be 1-16 letters or digits, like USD"),
                );
            }
            let rate = row.decimal(RATE, false, None);
            if rate.is_some_and(|r| r == Decimal::ZERO) {
                row.fail_field(RATE, "exchange_rate must be above zero".into());
            } else if rate.is_some_and(|r| {
                r.digits() > MAX_AMOUNT_DIGITS || u32::from(r.scale()) > MAX_AMOUNT_DIGITS
            }) {
                // A balance of 38 digits times the rate must stay within what conversions hold.
                row.fail_field(
                    RATE,
                    format!(
                        "exchange_rate must have at most {MAX_AMOUNT_DIGITS} significant digits \
                         and {MAX_AMOUNT_DIGITS} places"
                    ),
                );
            }
            let (Some(code), Some(rate), true) = (code, rate, row.ok()) else {
                return;
            };
            let key = code.to_ascii_uppercase();
            if let Some(&earlier) = by_code.get(&key) {
                row.fail_field(
                    CODE,
                    format!(
                        "currency \"{code}\" is already listed at line {}",
                        lines[earlier]
                    ),
                );
                return;
            }
            by_code.insert(key, list.len());
            lines.push(row.line());
            list.push(Currency {
                code: code.to_owned(),
                rate,
            });
        },
        |_| {},
    )?;
    let Some(default_code) = default_code else {
        let one = Decimal::new(1, 0);
        let default = list.iter().position(|c| c.rate == one).unwrap_or(0);
        if errors.total() > before || list.is_empty() {
            if list.is_empty() {
                errors.add(file, 1, 1, "no currency is listed");
            }
            return None;
        }
        return Some(Currencies {
            list,
            by_code,
            default,
        });
    };
    let default = match by_code.get(&default_code.to_ascii_uppercase()) {
        Some(&i) if list[i].rate == Decimal::new(1, 0) => Some(i),
        Some(&i) => {
            errors.add(
                file,
                lines[i],
                2,
                format!(
                    "the default currency {default_code} must have exchange_rate 1, not {}",
                    list[i].rate
                ),
            );
            None
        }
        None => {
            errors.add(
                file,
                1,
                1,
                format!("the default currency {default_code} is not listed (add it with exchange_rate 1)"),
            );
            None
        }
    };
    if errors.total() > before {
        return None;
    }
    Some(Currencies {
        list,
        by_code,
        default: default?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Currencies, String> {
        let mut errors = ErrorList::new();
        read(
            text.as_bytes(),
            "currencies.csv",
            Some("USD"),
            &mut errors,
            &mut Vec::new(),
        )
        .ok_or_else(|| errors.to_string())
    }

    #[test]
    fn reads_codes_case_insensitively_with_the_default() {
        let currencies = load("code,exchange_rate\nUSD,1\nEUR,0.92\n").unwrap();
        assert_eq!(currencies.default_currency().code, "USD");
        assert_eq!(currencies.get("eur").unwrap().rate.to_string(), "0.92");
        assert!(currencies.get("GBP").is_none());
    }

    #[test]
    fn the_default_must_be_listed_at_rate_one_and_codes_unique() {
        assert_eq!(
            load("code,exchange_rate\nEUR,0.92\n").unwrap_err(),
            "currencies.csv:1:1: the default currency USD is not listed (add it with exchange_rate 1)\n"
        );
        assert_eq!(
            load("code,exchange_rate\nUSD,1.5\n").unwrap_err(),
            "currencies.csv:2:2: the default currency USD must have exchange_rate 1, not 1.5\n"
        );
        assert_eq!(
            load("code,exchange_rate\nUSD,1\nusd,1\nX Y,0\n").unwrap_err(),
            "currencies.csv:3:1: currency \"usd\" is already listed at line 2\n\
             currencies.csv:4:1: code \"X Y\" must be 1-16 letters or digits, like USD\n\
             currencies.csv:4:2: exchange_rate must be above zero\n"
        );
    }

    /// Review: a rate of 33 places made a call's cost wrap around to a negative amount, and a
    /// 38-digit rate made a converted balance print wrong digits. Rates keep what a deck's
    /// amounts keep: 18 significant digits and 18 places.
    #[test]
    fn exchange_rates_keep_eighteen_digits_and_places() {
        let message = "exchange_rate must have at most 18 significant digits and 18 places";
        for rate in ["0.000000000000000000000000000000001", &"9".repeat(19)] {
            assert_eq!(
                load(&format!("code,exchange_rate\nUSD,1\nTNY,{rate}\n")).unwrap_err(),
                format!("currencies.csv:3:2: {message}\n")
            );
        }
        let long = load("code,exchange_rate\nUSD,1\nIDR,15000.123456789012345678\n").unwrap_err();
        assert!(long.contains(message), "20 digits: {long}");
        assert!(load("code,exchange_rate\nUSD,1\nIDR,16234.000000000001\n").is_ok());
    }
}
