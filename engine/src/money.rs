//! Exact decimal amounts and the number formats the billing APIs print.
//!
//! Rates, fees and balances arrive as decimal text and are kept as an integer count of
//! `10^-scale` units, so "0.1" stays 0.1 and conversions round exactly once. Two printers
//! serve the wire formats: [`write_ruby_float`] (how MOR prints a stored Float: `35.0`,
//! `0.987`, `1.0e-05`) and [`write_fixed`] (balances with a fixed number of places).

use std::fmt;

/// Powers of ten up to 10^22, every one exactly an `f64`.
const POW10_F64: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// Most significant digits a [`Decimal`] holds (balances and every sum of amounts); more
/// than this is refused, never rounded. 38 digits is 128 bits: a balance of 10^24 kept to
/// 13 places still fits.
pub const MAX_DIGITS: u32 = 38;

/// An integer wide enough for any product of two decimals: what rounding or converting an
/// amount gives, as units of `10^-places`, is never out of range.
pub type Wide = ethnum::I256;

/// An exact decimal number: `units / 10^scale`, kept canonical (no trailing fractional zeros),
/// so equal values compare equal whatever the input spelling ("0.10" and "0.1").
///
/// Packed to 8-byte alignment: 24 bytes instead of the 32 an `i128`'s 16-byte alignment would
/// make it, which every user, card and balance cell holds several of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(C, packed(8))]
pub struct Decimal {
    units: i128,
    scale: u8,
}

/// Why a decimal field was refused. Messages finish the sentence "value ... ".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("is empty")]
    Empty,
    #[error("is not a decimal number (expected digits with an optional '.' fraction, like 0.05)")]
    Malformed,
    #[error("must not be negative")]
    Negative,
    #[error("has more than {MAX_DIGITS} significant digits")]
    TooPrecise,
}

/// `10^0 ..= 10^38`: every power of ten an `i128` holds.
pub(crate) const POW10: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `10^exponent` as a [`Wide`] (any exponent up to 76).
pub(crate) fn wide_pow10(exponent: u32) -> Wide {
    match POW10.get(exponent as usize) {
        Some(&power) => Wide::from(power),
        None => Wide::from(10i128).pow(exponent),
    }
}

// A Decimal is 24 bytes (see its doc).
const _: () = assert!(std::mem::size_of::<Decimal>() == 24);

/// Drops the trailing zeros of the decimal `$units / 10^$scale` (both variables), in the
/// width of `$units`: the one canonical form, whatever integer type carries it.
macro_rules! strip_trailing_zeros {
    ($units:ident, $scale:ident) => {
        while $scale > 0 && $units % 10 == 0 {
            $units /= 10;
            $scale -= 1;
        }
    };
}

/// `numerator / denominator` (denominator > 0) rounded half away from zero, in the width of
/// its operands: the one rounding rule of every division, in 64, 128 and 256 bits.
macro_rules! rounded_quotient {
    ($numerator:expr, $denominator:expr) => {{
        let (numerator, denominator) = ($numerator, $denominator);
        let (quotient, remainder) = (numerator / denominator, numerator % denominator);
        if remainder.unsigned_abs() * 2 >= denominator.unsigned_abs() {
            quotient + numerator.signum()
        } else {
            quotient
        }
    }};
}

impl Decimal {
    /// Zero.
    pub const ZERO: Decimal = Decimal { units: 0, scale: 0 };

    /// Builds `units / 10^scale` (canonicalised). `scale` must be at most [`MAX_DIGITS`].
    pub fn new(units: i128, scale: u8) -> Decimal {
        assert!(
            u32::from(scale) <= MAX_DIGITS,
            "a Decimal's scale is at most 38"
        );
        let (mut units, mut scale) = (units, scale);
        // Ordinary amounts fit 64 bits, whose division is an instruction, not a library call.
        if let Ok(mut short) = i64::try_from(units) {
            strip_trailing_zeros!(short, scale);
            return Decimal {
                units: i128::from(short),
                scale,
            };
        }
        strip_trailing_zeros!(units, scale);
        Decimal { units, scale }
    }

    /// Rebuilds a decimal stored in canonical form (as [`Decimal::units`] and
    /// [`Decimal::scale`] gave it), without re-canonicalising.
    #[inline]
    pub(crate) fn from_canonical(units: i64, scale: u8) -> Decimal {
        Decimal {
            units: i128::from(units),
            scale,
        }
    }

    /// Parses `-?[0-9]+(\.[0-9]+)?` exactly; a minus only when `allow_negative`.
    ///
    /// ```
    /// use ratel_engine::money::Decimal;
    /// assert_eq!(Decimal::parse("0.10", false).unwrap(), Decimal::parse("0.1", false).unwrap());
    /// assert!(Decimal::parse("-1", false).is_err());
    /// assert!(Decimal::parse("1e5", false).is_err());
    /// ```
    pub fn parse(text: &str, allow_negative: bool) -> Result<Decimal, DecimalError> {
        Self::parse_bytes(text.as_bytes(), allow_negative)
    }

    /// [`Decimal::parse`] over raw bytes (the CSV reader works on bytes).
    pub fn parse_bytes(text: &[u8], allow_negative: bool) -> Result<Decimal, DecimalError> {
        if text.is_empty() {
            return Err(DecimalError::Empty);
        }
        let (negative, body) = match text.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, text),
        };
        let (int_part, frac_part) = match body.iter().position(|&b| b == b'.') {
            Some(dot) => (&body[..dot], Some(&body[dot + 1..])),
            None => (body, None),
        };
        let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
        if !all_digits(int_part) || frac_part.is_some_and(|f| !all_digits(f)) {
            return Err(DecimalError::Malformed);
        }
        let frac_part = frac_part.unwrap_or(&[]);
        // Canonical digits: no leading integer zeros, no trailing fractional zeros.
        let int_part = &int_part[int_part.iter().take_while(|&&b| b == b'0').count()..];
        let frac_len = frac_part.len() - frac_part.iter().rev().take_while(|&&b| b == b'0').count();
        let frac_part = &frac_part[..frac_len];
        // Significant digits are what i128 must hold; the scale is bounded separately.
        let leading_frac_zeros = if int_part.is_empty() {
            frac_part.iter().take_while(|&&b| b == b'0').count()
        } else {
            0
        };
        let significant = int_part.len() + frac_part.len() - leading_frac_zeros;
        if significant > MAX_DIGITS as usize || frac_part.len() > MAX_DIGITS as usize {
            return Err(DecimalError::TooPrecise);
        }
        let mut units: i128 = 0;
        for &digit in int_part.iter().chain(frac_part) {
            units = units * 10 + i128::from(digit - b'0');
        }
        if negative {
            // "-0" is refused too where negatives are: the sign says the author meant one.
            if !allow_negative {
                return Err(DecimalError::Negative);
            }
            units = -units;
        }
        Ok(Decimal {
            units,
            scale: frac_part.len() as u8,
        })
    }

    /// The integer count of `10^-scale` units.
    pub fn units(self) -> i128 {
        self.units
    }

    /// Digits after the decimal point in canonical form.
    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Significant digits: those of the units, without leading zeros (0 for zero).
    pub fn digits(self) -> u32 {
        self.units
            .unsigned_abs()
            .checked_ilog10()
            .map_or(0, |log| log + 1)
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.units < 0
    }

    /// The nearest `f64`, correctly rounded. MOR stores amounts as floats; printing uses this
    /// value. When the units are exactly an `f64` (at most 2^53) and so is 10^scale (scale at
    /// most 22), one IEEE division of the two is correctly rounded: the value parsing the
    /// decimal text gives, without the text. Otherwise through the text (`units / 10^scale`
    /// in floating point would round twice).
    pub fn to_f64(self) -> f64 {
        match POW10_F64.get(usize::from(self.scale)) {
            Some(&power) if self.units.unsigned_abs() <= 1 << 53 => self.units as f64 / power,
            _ => self.to_f64_through_text(),
        }
    }

    /// [`Decimal::to_f64`] by parsing the decimal text: correctly rounded for every value
    /// (the reference the fast path is tested against).
    pub(crate) fn to_f64_through_text(self) -> f64 {
        let mut buf = Vec::with_capacity(48);
        write_exact(&mut buf, self);
        std::str::from_utf8(&buf)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(f64::NAN)
    }

    /// `self × rate` rounded half away from zero to `places` digits, as units of `10^-places`.
    /// Exact: both factors are integers at heart, the product is taken in 256 bits when 128
    /// do not hold it.
    pub fn mul_rounded(self, rate: Decimal, places: u8) -> Wide {
        let scale = u32::from(self.scale) + u32::from(rate.scale);
        match self.units.checked_mul(rate.units) {
            Some(product) => rescale(product, scale, u32::from(places)),
            None => rescale_wide(
                Wide::from(self.units) * Wide::from(rate.units),
                scale,
                u32::from(places),
            ),
        }
    }

    /// `self` rounded half away from zero to `places` digits, as units of `10^-places`.
    pub fn rounded(self, places: u8) -> Wide {
        rescale(self.units, u32::from(self.scale), u32::from(places))
    }

    /// `self` in units of a currency whose exchange rate is `from_rate`, converted into one
    /// whose rate is `to_rate` (both against one base currency): `self × to_rate / from_rate`
    /// rounded half away from zero to `places` digits. `None` when a rate is not above zero
    /// or the result needs more than [`MAX_DIGITS`] digits.
    pub fn converted(self, from_rate: Decimal, to_rate: Decimal, places: u8) -> Option<Decimal> {
        if u32::from(places) > MAX_DIGITS {
            return None;
        }
        let units = self.converted_units(from_rate, to_rate, places)?;
        (units.unsigned_abs() < POW10[MAX_DIGITS as usize] as u128)
            .then(|| Decimal::new(units, places))
    }

    /// [`Decimal::converted`] as units of `10^-places` (up to 38 places), for comparing
    /// converted amounts finer than they are written; `None` when a rate is not above zero or
    /// the value does not fit 128 bits.
    pub fn converted_units(self, from_rate: Decimal, to_rate: Decimal, places: u8) -> Option<i128> {
        if from_rate.units <= 0 || to_rate.units <= 0 {
            return None;
        }
        // units / 10^places = (self.u × to.u / from.u) × 10^(from.s − self.s − to.s)
        let exponent = i32::from(from_rate.scale) + i32::from(places)
            - i32::from(self.scale)
            - i32::from(to_rate.scale);
        let mut numerator = Wide::from(self.units) * Wide::from(to_rate.units);
        let mut denominator = Wide::from(from_rate.units);
        if exponent >= 0 {
            numerator = numerator.checked_mul(wide_pow10(exponent.unsigned_abs()))?;
        } else {
            denominator = denominator.checked_mul(wide_pow10(exponent.unsigned_abs()))?;
        }
        i128::try_from(divide_rounded(numerator, denominator)).ok()
    }

    /// `self` as units of `10^-scale`, exactly (`scale` at least `self`'s); `None` when that
    /// does not fit 128 bits.
    pub fn widened(self, scale: u8) -> Option<i128> {
        let up = u32::from(scale.saturating_sub(self.scale));
        self.units.checked_mul(*POW10.get(up as usize)?)
    }

    /// `self + other`, exact; `None` when the sum needs more than [`MAX_DIGITS`] digits.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(other.scale);
        let sum = self.widened(scale)?.checked_add(other.widened(scale)?)?;
        (sum.unsigned_abs() < POW10[MAX_DIGITS as usize] as u128).then(|| Decimal::new(sum, scale))
    }

    /// `|self|`.
    pub fn abs(self) -> Decimal {
        Decimal {
            units: self.units.abs(),
            scale: self.scale,
        }
    }

    /// `-self`.
    pub fn negated(self) -> Decimal {
        Decimal {
            units: -self.units,
            scale: self.scale,
        }
    }

    /// Whether the value is zero.
    pub fn is_zero(self) -> bool {
        self.units == 0
    }

    /// Orders two decimals by value.
    pub fn cmp_value(self, other: Decimal) -> std::cmp::Ordering {
        let scale = u32::from(self.scale.max(other.scale));
        let wide = |d: Decimal| Wide::from(d.units) * wide_pow10(scale - u32::from(d.scale));
        wide(self).cmp(&wide(other))
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.cmp_value(*other)
    }
}

/// Moves `units / 10^from` to units of `10^-to`, rounding half away from zero; in 128 bits
/// whenever they hold the result.
fn rescale(units: i128, from: u32, to: u32) -> Wide {
    if to >= from {
        return match POW10
            .get((to - from) as usize)
            .and_then(|&power| units.checked_mul(power))
        {
            Some(scaled) => Wide::from(scaled),
            None => Wide::from(units) * wide_pow10(to - from),
        };
    }
    // A divisor past 10^38 leaves nothing of any i128 but its rounding.
    match POW10.get((from - to) as usize) {
        Some(&divisor) => Wide::from(divide_rounded_narrow(units, divisor)),
        None => rescale_wide(Wide::from(units), from, to),
    }
}

/// [`rescale`] of a product too wide for 128 bits.
fn rescale_wide(units: Wide, from: u32, to: u32) -> Wide {
    if to >= from {
        units * wide_pow10(to - from)
    } else {
        divide_rounded(units, wide_pow10(from - to))
    }
}

/// `numerator / denominator` (denominator > 0) rounded half away from zero.
pub(crate) fn divide_rounded_narrow(numerator: i128, denominator: i128) -> i128 {
    // Ordinary amounts fit 64 bits, whose division is a single instruction (128-bit
    // division is a library call many times slower).
    match (i64::try_from(numerator), i64::try_from(denominator)) {
        (Ok(numerator), Ok(denominator)) => i128::from(rounded_quotient!(numerator, denominator)),
        _ => rounded_quotient!(numerator, denominator),
    }
}

/// [`divide_rounded_narrow`] in 256 bits.
pub(crate) fn divide_rounded(numerator: Wide, denominator: Wide) -> Wide {
    rounded_quotient!(numerator, denominator)
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(48);
        write_exact(&mut buf, *self);
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Writes `units / 10^places` with exactly `places` fractional digits (`60.0000`, `-9.7486`).
pub fn write_scaled(out: &mut Vec<u8>, units: impl Into<Wide>, places: u8) {
    let units: Wide = units.into();
    let mut digits = itoa::Buffer::new();
    let wide_digits: String;
    let magnitude = units.unsigned_abs();
    // Formatting 64 bits is several times cheaper than 128: ordinary amounts take that way.
    let magnitude = match (u64::try_from(magnitude), u128::try_from(magnitude)) {
        (Ok(short), _) => digits.format(short).as_bytes(),
        (_, Ok(narrow)) => digits.format(narrow).as_bytes(),
        _ => {
            wide_digits = magnitude.to_string();
            wide_digits.as_bytes()
        }
    };
    if units < 0 {
        out.push(b'-');
    }
    let places = usize::from(places);
    if places == 0 {
        out.extend_from_slice(magnitude);
        return;
    }
    if magnitude.len() <= places {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', places - magnitude.len()));
        out.extend_from_slice(magnitude);
    } else {
        let split = magnitude.len() - places;
        out.extend_from_slice(&magnitude[..split]);
        out.push(b'.');
        out.extend_from_slice(&magnitude[split..]);
    }
}

/// Writes `value` exactly, as few places as it needs (`0.155`, `35`, `0`).
pub fn write_exact(out: &mut Vec<u8>, value: Decimal) {
    write_scaled(out, value.units, value.scale);
}

/// Writes `a − b` exactly, as few places as it needs (`0.067`, `-0.01`, `0`).
pub fn write_difference(out: &mut Vec<u8>, a: Decimal, b: Decimal) {
    let scale = a.scale.max(b.scale);
    let wide = |d: Decimal| Wide::from(d.units) * wide_pow10(u32::from(scale - d.scale));
    let (mut units, mut scale) = (wide(a) - wide(b), scale);
    let ten = Wide::from(10i128);
    while scale > 0 && units % ten == 0 {
        units /= ten;
        scale -= 1;
    }
    write_scaled(out, units, scale);
}

/// Writes `value` rounded half away from zero to `places` digits (`60.0000`).
pub fn write_fixed(out: &mut Vec<u8>, value: Decimal, places: u8) {
    write_scaled(out, value.rounded(places), places);
}

/// Writes `x` the way Ruby's `Float#to_s` does: the shortest digits that round-trip, at
/// least one fractional digit, and exponent form (`1.0e-05`, `1.0e+16`) when the decimal
/// exponent falls outside `1e-4 <= |x| < 1e16`.
///
/// ```
/// let mut out = Vec::new();
/// ratel_engine::money::write_ruby_float(&mut out, 0.00001);
/// assert_eq!(out, b"1.0e-05");
/// ```
pub fn write_ruby_float(out: &mut Vec<u8>, x: f64) {
    if !x.is_finite() {
        out.extend_from_slice(if x.is_nan() {
            b"NaN"
        } else if x > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        });
        return;
    }
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    // ryu gives the shortest round-trip digits. Inside Ruby's fixed-notation range its own
    // layout ("35.0", "0.987", "0.0001") is already Ruby's, so it is copied as is.
    let mut ryu_buf = ryu::Buffer::new();
    if (1e-4..1e16).contains(&x.abs()) {
        out.extend_from_slice(ryu_buf.format_finite(x).as_bytes());
        return;
    }
    write_ruby_float_relaid(out, x);
}

/// [`write_ruby_float`] for any finite non-zero `x`, re-laying ryu's digits Ruby's way.
fn write_ruby_float_relaid(out: &mut Vec<u8>, x: f64) {
    let mut ryu_buf = ryu::Buffer::new();
    let (digits, point) = shortest_digits(ryu_buf.format_finite(x).as_bytes());
    if x < 0.0 {
        out.push(b'-');
    }
    let digits = &digits.0[..digits.1];
    // `point`: the value is 0.DIGITS × 10^point.
    if 0 < point && point <= 16 {
        let point = point as usize;
        if digits.len() <= point {
            out.extend_from_slice(digits);
            out.extend(std::iter::repeat_n(b'0', point - digits.len()));
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..point]);
            out.push(b'.');
            out.extend_from_slice(&digits[point..]);
        }
    } else if -4 < point && point <= 0 {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-point) as usize));
        out.extend_from_slice(digits);
    } else {
        out.push(digits[0]);
        out.push(b'.');
        if digits.len() > 1 {
            out.extend_from_slice(&digits[1..]);
        } else {
            out.push(b'0');
        }
        out.push(b'e');
        let exponent = point - 1;
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(itoa::Buffer::new().format(magnitude).as_bytes());
    }
}

/// Splits ryu's output (`1.5e-7`, `123.45`, `1e16`, `-0.001`) into significant digits without
/// leading or trailing zeros, and the decimal point position (value = 0.DIGITS × 10^point).
fn shortest_digits(text: &[u8]) -> (([u8; 24], usize), i32) {
    let mut digits = [0u8; 24];
    let mut count = 0usize;
    let mut point: i32 = 0;
    let mut seen_point = false;
    let mut exponent: i32 = 0;
    let mut rest = text;
    if let Some((b'-', tail)) = rest.split_first() {
        rest = tail;
    }
    let mut index = 0;
    while index < rest.len() {
        match rest[index] {
            b'.' => seen_point = true,
            b'e' | b'E' => {
                exponent = std::str::from_utf8(&rest[index + 1..])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                break;
            }
            digit => {
                if count == 0 && digit == b'0' {
                    // A leading zero: before the point it is nothing, after it shifts the point.
                    if seen_point {
                        point -= 1;
                    }
                } else if count < digits.len() {
                    digits[count] = digit;
                    count += 1;
                    if !seen_point {
                        point += 1;
                    }
                }
            }
        }
        index += 1;
    }
    while count > 1 && digits[count - 1] == b'0' {
        count -= 1;
    }
    ((digits, count), point + exponent)
}

#[cfg(test)]
mod tests;
