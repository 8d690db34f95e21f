//! Error-path diagnosis: which field had the wrong JSON type.
//!
//! The typed fast path only learns "invalid type" from serde. When that happens the record
//! is parsed a second time into a generic value and the fields the parser reads are checked
//! one by one, so the dead letter can name the field. This never runs for good records.

use super::ParseError;
use serde_json::Value;

/// The JSON type a field must have (null is always accepted: it reads as absent).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string.
    Str,
    /// An object.
    Obj,
    /// An array.
    Arr,
    /// An integer.
    Int,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Obj => "object",
            Kind::Arr => "array",
            Kind::Int => "integer",
        }
    }

    fn accepts(self, v: &Value) -> bool {
        match self {
            Kind::Str => v.is_string(),
            Kind::Obj => v.is_object(),
            Kind::Arr => v.is_array(),
            Kind::Int => v.is_i64() || v.is_u64(),
        }
    }
}

/// The first field among `checks` (dotted paths, parents listed before children; a `0`
/// segment indexes an array) whose value is neither null nor of the expected kind.
pub(crate) fn find_wrong_type(raw: &[u8], checks: &[(&'static str, Kind)]) -> Option<ParseError> {
    let root: Value = serde_json::from_slice(raw).ok()?;
    checks.iter().find_map(|&(path, kind)| {
        let mut v = &root;
        for seg in path.split('.') {
            v = match (v, seg) {
                (Value::Array(a), "0") => a.first()?,
                (Value::Object(o), key) => o.get(key)?,
                _ => return None,
            };
        }
        (!v.is_null() && !kind.accepts(v)).then_some(ParseError::WrongType {
            field: path,
            expected: kind.name(),
        })
    })
}
