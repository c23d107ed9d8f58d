//! Reading requests: JSON bodies through `serde_json`, and the checks every field goes
//! through, so that a wrong field is named in the answer instead of failing a whole body.
//!
//! Fields whose error must name them are read as a [`Scalar`] (any JSON value) and checked
//! afterwards; the body's structure (an object, an array where one is needed) is checked by
//! serde, with the field's name put in front of serde's message.

use std::borrow::Cow;

use serde::de::{self, Deserializer};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::errors::Failure;
use crate::time::Timestamp;

/// Any JSON value, kept only as far as a field check needs it: strings borrow from the body
/// when they hold no escapes, arrays and objects are skipped. A number is read from its text,
/// never through serde's own conversion, so one out of every range (`1e400`, 400 digits) is
/// that field's error and not a failure of the whole body.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// A string whose escapes make no text (an unpaired UTF-16 surrogate, `"\ud800"`).
    BadText,
    Int(i128),
    /// An integer beyond 128 bits, and its sign.
    HugeInt {
        negative: bool,
    },
    /// A number with a fraction or an exponent (infinite when out of range).
    Float(f64),
    Bool(bool),
    Null,
    /// An array or an object.
    Compound,
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar<'a>, D::Error> {
        // The raw text is checked as JSON by serde_json without converting numbers.
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        Scalar::from_json(raw.get()).map_err(de::Error::custom)
    }
}

impl<'a> Scalar<'a> {
    /// The value whose JSON text (already checked as JSON) is `text`.
    fn from_json(text: &'a str) -> Result<Scalar<'a>, serde_json::Error> {
        Ok(match text.as_bytes().first() {
            Some(b'"') if !text.contains('\\') => {
                Scalar::Str(Cow::Borrowed(&text[1..text.len() - 1]))
            }
            Some(b'"') => match serde_json::from_str(text) {
                Ok(decoded) => Scalar::Str(Cow::Owned(decoded)),
                Err(_) => Scalar::BadText,
            },
            Some(b't') => Scalar::Bool(true),
            Some(b'f') => Scalar::Bool(false),
            Some(b'n') | None => Scalar::Null,
            Some(b'[' | b'{') => Scalar::Compound,
            Some(_) => {
                let digits = text.strip_prefix('-').unwrap_or(text);
                if digits.bytes().all(|b| b.is_ascii_digit()) {
                    // "-0" is zero.
                    match text.parse::<i128>() {
                        Ok(value) => Scalar::Int(value),
                        Err(_) => Scalar::HugeInt {
                            negative: text.starts_with('-'),
                        },
                    }
                } else {
                    Scalar::Float(text.parse().unwrap_or(f64::NAN))
                }
            }
        })
    }
}

impl Scalar<'_> {
    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(text) => Some(text),
            _ => None,
        }
    }
}

/// Parses a whole body; a malformed one is a 400 that says where serde stopped.
pub fn body<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, Failure> {
    // Anything but an object (an array, a string...) is refused as such: serde would read a
    // struct from an array by position and blame a field for it.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Failure::bad_request(
            "the body must be a JSON object (Content-Type: application/json)",
        ));
    }
    serde_json::from_slice(bytes).map_err(|error| Failure::bad_request(format!("{error}")))
}

/// For `#[serde(deserialize_with)]`: deserializes a field with its name in front of any error
/// (`calls: invalid type: ...`).
pub fn named<'de, D, T>(name: &'static str, deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map_err(|error| de::Error::custom(format_args!("{name}: {error}")))
}

/// A required string field: its text, or the 400 that names it.
pub fn required_str<'s>(name: &str, value: Option<&'s Scalar<'_>>) -> Result<&'s str, String> {
    match value {
        None | Some(Scalar::Null) => Err(format!("{name} is required")),
        Some(Scalar::BadText) => Err(format!(
            "{name} is not valid text (an unpaired UTF-16 surrogate escape)"
        )),
        Some(scalar) => scalar
            .as_str()
            .ok_or_else(|| format!("{name} must be a string")),
    }
}

/// A required list field (`calls`, `numbers`) of 1 to `max` items: the list, or the 400
/// that names it.
pub fn list<T>(name: &str, items: Option<Vec<T>>, max: usize) -> Result<Vec<T>, Failure> {
    let items = items.ok_or_else(|| Failure::bad_request(format!("{name} is required")))?;
    if items.is_empty() || items.len() > max {
        return Err(Failure::bad_request(format!(
            "{name} must hold 1 to {max} {name}"
        )));
    }
    Ok(items)
}

/// The message of a time field that is not `YYYY-MM-DD HH:MM:SS`.
pub fn time_error(name: &str) -> String {
    format!("{name} must be a time YYYY-MM-DD HH:MM:SS (UTC)")
}

/// Parses a `YYYY-MM-DD HH:MM:SS` time (UTC), the only form the JSON API takes.
pub fn time(name: &str, text: &[u8]) -> Result<Timestamp, String> {
    if text.len() != 19 {
        return Err(time_error(name));
    }
    Timestamp::parse_bytes(text).map_err(|_| time_error(name))
}

/// Exactly one of two alternative fields (`account` or `card`): which, and its text.
pub fn one_of<'s>(
    first: (&'static str, Option<&'s Scalar<'_>>),
    second: (&'static str, Option<&'s Scalar<'_>>),
) -> Result<(usize, &'s str), String> {
    let given = |value: Option<&Scalar<'_>>| !matches!(value, None | Some(Scalar::Null));
    match (given(first.1), given(second.1)) {
        (true, false) => Ok((0, required_str(first.0, first.1)?)),
        (false, true) => Ok((1, required_str(second.0, second.1)?)),
        (true, true) => Err(format!("give {} or {}, not both", first.0, second.0)),
        (false, false) => Err(format!("{} or {} is required", first.0, second.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe<'a> {
        #[serde(borrow)]
        a: Option<Scalar<'a>>,
        #[serde(borrow, default, deserialize_with = "list")]
        list: Option<Vec<Cow<'a, str>>>,
    }

    fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Cow<'de, str>>>, D::Error> {
        named("list", d)
    }

    #[test]
    fn scalars_keep_what_field_checks_need() {
        fn probe(json: &str) -> Result<Option<Scalar<'_>>, Failure> {
            body::<Probe<'_>>(json.as_bytes()).map(|p| p.a)
        }
        assert_eq!(
            probe(r#"{"a":"x"}"#).unwrap(),
            Some(Scalar::Str("x".into()))
        );
        assert_eq!(
            probe(r#"{"a":"\u0041"}"#).unwrap(),
            Some(Scalar::Str("A".into()))
        );
        assert_eq!(probe(r#"{"a":-5}"#).unwrap(), Some(Scalar::Int(-5)));
        assert_eq!(
            probe(r#"{"a":18446744073709551615}"#).unwrap(),
            Some(Scalar::Int(18446744073709551615))
        );
        assert_eq!(probe(r#"{"a":1.5}"#).unwrap(), Some(Scalar::Float(1.5)));
        // Numbers out of every range are values, not a failed body (issue 16).
        assert_eq!(
            probe(r#"{"a":1e400}"#).unwrap(),
            Some(Scalar::Float(f64::INFINITY))
        );
        let huge = format!(r#"{{"a":-{}}}"#, "9".repeat(400));
        assert_eq!(
            probe(&huge).unwrap(),
            Some(Scalar::HugeInt { negative: true })
        );
        assert_eq!(probe(r#"{"a":-0}"#).unwrap(), Some(Scalar::Int(0)));
        assert_eq!(
            probe(r#"{"a":"\u00e9t\u00e9"}"#).unwrap(),
            Some(Scalar::Str("été".into()))
        );
        assert!(matches!(
            probe(r#"{"a":true}"#),
            Ok(Some(Scalar::Bool(true)))
        ));
        // Still JSON: a raw control character in a string, or a malformed number, fails.
        assert!(probe("{\"a\":\"x\u{1}\"}").is_err());
        assert!(probe(r#"{"a":01}"#).is_err());
        assert!(probe(r#"{"a":1.}"#).is_err());
        // null is "not given", as a missing field.
        assert_eq!(probe(r#"{"a":null}"#).unwrap(), None);
        assert_eq!(
            probe(r#"{"a":[1,{"b":2}]}"#).unwrap(),
            Some(Scalar::Compound)
        );
        assert_eq!(probe(r#"{"b":1}"#).unwrap(), None);
    }

    #[test]
    fn structural_errors_name_the_field_and_the_place() {
        let error = |json: &str| body::<Probe<'_>>(json.as_bytes()).unwrap_err().message;
        assert_eq!(
            error(r#"{"list":"x"}"#),
            "list: invalid type: string \"x\", expected a sequence at line 1 column 11"
        );
        assert!(error(r#"{"a":1"#).contains("EOF while parsing"));
        assert!(error("").contains("must be a JSON object"));
        // Review: an array was read as a struct by position, and a field was blamed.
        for not_an_object in ["1", "[1]", " [\"calls\"]", "\"x\"", "null"] {
            assert_eq!(
                error(not_an_object),
                "the body must be a JSON object (Content-Type: application/json)",
                "{not_an_object}"
            );
        }
        assert_eq!(
            error(r#"{"a":1,"a":2}"#),
            "duplicate field `a` at line 1 column 10"
        );
        assert_eq!(
            body::<Probe<'_>>(br#"{"list":["a","b\"c"]}"#).unwrap().list,
            Some(vec!["a".into(), "b\"c".into()])
        );
    }

    #[test]
    fn times_are_only_the_long_form() {
        assert_eq!(
            time("start", b"2026-11-26 10:00:00"),
            Ok(Timestamp::parse("2026-11-26 10:00:00").unwrap())
        );
        for bad in [
            &b"2026-11-26"[..],
            b"2026-11-26T10:00:00",
            b"2026-02-30 10:00:00",
        ] {
            assert_eq!(
                time("start", bad),
                Err("start must be a time YYYY-MM-DD HH:MM:SS (UTC)".into())
            );
        }
    }

    #[test]
    fn exactly_one_of_two_fields() {
        let s = Scalar::Str("x".into());
        let n = Scalar::Int(1);
        assert_eq!(one_of(("account", Some(&s)), ("card", None)), Ok((0, "x")));
        assert_eq!(
            one_of(("account", Some(&Scalar::Null)), ("card", Some(&s))),
            Ok((1, "x"))
        );
        assert_eq!(
            one_of(("account", Some(&s)), ("card", Some(&s))),
            Err("give account or card, not both".into())
        );
        assert_eq!(
            one_of(("account", None), ("card", None)),
            Err("account or card is required".into())
        );
        assert_eq!(
            one_of(("account", Some(&n)), ("card", None)),
            Err("account must be a string".into())
        );
    }
}
