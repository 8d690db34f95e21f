//! Small serde building blocks shared by the record parsers.
//!
//! The hot path deserializes typed structs with sonic-rs straight from the record bytes.
//! Strings are borrowed from the input whenever they hold no escape sequence ([`Str`]);
//! serde's own `Cow<str>` would allocate every time. Fields whose shape varies between
//! services are read leniently ([`LenientStr`], [`First`]) so that unrelated content never
//! rejects a record.

use super::ParseError;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

/// A JSON string, borrowed from the input unless it had to be unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl Str<'_> {
    /// The string, empty strings counting as absent.
    pub fn non_empty(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(&*self.0)
    }
}

/// The string of an optional field, `""` when absent.
pub(crate) fn or_empty(s: &Option<Str<'_>>) -> String {
    s.as_ref().map(|s| String::from(&*s.0)).unwrap_or_default()
}

/// The non-empty string of an optional field.
pub(crate) fn non_empty<'s>(s: &'s Option<Str<'_>>) -> Option<&'s str> {
    s.as_ref().and_then(Str::non_empty)
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Str<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

/// Any JSON value, kept only when it is a string.
#[derive(Debug, Default)]
pub(crate) struct LenientStr<'a>(pub Option<Str<'a>>);

struct LenientVisitor;

impl<'de> Visitor<'de> for LenientVisitor {
    type Value = LenientStr<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(LenientStr(Some(Str(Cow::Borrowed(v)))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(LenientStr(Some(Str(Cow::Owned(v.to_owned())))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(LenientStr(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LenientStr(None))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for LenientStr<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor)
    }
}

/// The first element of a JSON array (the rest are skipped without being built).
#[derive(Debug)]
pub(crate) struct First<T>(pub Option<T>);

struct FirstVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstVisitor<T> {
    type Value = First<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let first = seq.next_element::<T>()?;
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(First(first))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for First<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(FirstVisitor(PhantomData))
    }
}

/// Checks UTF-8 and deserializes `T` from one JSON value.
///
/// Type mismatches on the fields `T` reads are reported as [`ParseError::WrongType`] when
/// `diagnose` can name the field (a slow second look, taken only on that error path).
pub(crate) fn from_record<'a, T: Deserialize<'a>>(
    raw: &'a [u8],
    diagnose: fn(&[u8]) -> Option<ParseError>,
) -> Result<T, ParseError> {
    check_nesting(raw)?;
    let text = std::str::from_utf8(raw).map_err(|e| ParseError::InvalidUtf8(e.valid_up_to()))?;
    sonic_rs::from_str::<T>(text).map_err(|e| {
        if e.is_unmatched_type() {
            if let Some(found) = diagnose(raw) {
                return found;
            }
        }
        json_error(&e)
    })
}

/// Deepest nesting accepted. sonic-rs skips unread values recursively, so deeper input
/// could exhaust the stack; its typed deserializer stops at 255 levels anyway.
pub(crate) const MAX_NESTING: usize = 200;

/// Rejects records nested deeper than [`MAX_NESTING`]. Counting brackets is a vectorized
/// pass; the exact, string-aware depth is only computed when there are many.
fn check_nesting(raw: &[u8]) -> Result<(), ParseError> {
    // Byte counters per chunk of at most 255 bytes, so the loop vectorizes on `u8` lanes.
    let openers: usize = raw
        .chunks(255)
        .map(|chunk| {
            chunk
                .iter()
                .fold(0u8, |n, &b| n + ((b == b'{') | (b == b'[')) as u8) as usize
        })
        .sum();
    if openers <= MAX_NESTING {
        return Ok(());
    }
    match super::document::max_depth(raw) {
        Some(d) if d <= MAX_NESTING => Ok(()),
        Some(d) => Err(ParseError::Json(format!(
            "nested {d} levels deep, more than the {MAX_NESTING} allowed"
        ))),
        None => Err(ParseError::Json("unterminated string".into())),
    }
}

/// A one-line description of a sonic-rs error.
pub(crate) fn json_error(e: &sonic_rs::Error) -> ParseError {
    let msg = e.to_string();
    let first = msg.lines().next().unwrap_or("invalid JSON");
    ParseError::Json(first.to_owned())
}

/// ASCII case-insensitive substring test, without allocating.
pub(crate) fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// ASCII case-insensitive suffix test.
pub(crate) fn ends_with_ignore_case(hay: &str, suffix: &str) -> bool {
    let (h, s) = (hay.as_bytes(), suffix.as_bytes());
    h.len() >= s.len() && h[h.len() - s.len()..].eq_ignore_ascii_case(s)
}
