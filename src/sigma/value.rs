//! One detection item: a field (or none, for keywords), its modifiers and its values,
//! compiled into matchers over a record's JSON values.

use super::fields::FieldPath;
use super::pattern::{fold, pieces, plain, Pattern, Piece};
use super::RuleError;
use base64::Engine;
use regex::Regex;
use serde_json::Value;
use std::net::IpAddr;
use yaml_rust2::Yaml;

/// A numeric comparison (`lt`, `lte`, `gt`, `gte`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `>`
    Gt,
    /// `>=`
    Gte,
}

/// An IP network (`cidr` modifier).
#[derive(Clone, Debug)]
pub struct Cidr {
    net: IpAddr,
    bits: u32,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, bits) = text.split_once('/').unwrap_or((text, ""));
        let net: IpAddr = addr.trim().parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = if bits.is_empty() {
            max
        } else {
            bits.parse().ok()?
        };
        (bits <= max).then_some(Cidr { net, bits })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let mask = |width: u32| {
            if self.bits == 0 {
                0
            } else {
                u128::MAX << (width - self.bits)
            }
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = mask(32) as u32;
                u32::from(n) & m == u32::from(a) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = mask(128);
                u128::from(n) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

/// How one value of a detection item is compared with the record's values.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// `null`: the field is absent or null.
    Null,
    /// `exists`: the field is (true) or is not (false) present.
    Exists(bool),
    /// Strings with wildcards; any variant (from `base64offset`, `windash`) may match.
    Text {
        /// The variants.
        variants: Vec<Pattern>,
        /// Case-sensitive (`cased`).
        cased: bool,
    },
    /// `re`: an unanchored regular expression.
    Regex(Regex),
    /// `cidr`: an IP address inside the network.
    Cidr(Cidr),
    /// `lt`, `lte`, `gt`, `gte`: a numeric comparison.
    Number(Compare, f64),
    /// `fieldref`: equal to a value of another field of the same record.
    FieldRef(FieldPath),
}

/// A record value as text, the way Sigma compares scalars; objects as compact JSON.
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

impl Matcher {
    /// The first of `candidates` that matches, rendered as text (`null` for [`Matcher::Null`]
    /// and the absent side of [`Matcher::Exists`]).
    pub fn first_match(&self, candidates: &[&Value], record: &Value) -> Option<String> {
        let present = || candidates.iter().filter(|v| !v.is_null());
        match self {
            Matcher::Null => (present().count() == 0).then(|| "null".to_string()),
            Matcher::Exists(want) => {
                let first = present().next().and_then(|v| text_of(v));
                match (want, first) {
                    (true, found) => found,
                    (false, None) => Some("null".to_string()),
                    (false, Some(_)) => None,
                }
            }
            Matcher::Text { variants, cased } => present().find_map(|v| {
                let text = text_of(v)?;
                let hit = if *cased {
                    variants.iter().any(|p| p.is_match(&text))
                } else {
                    let folded = fold(&text);
                    variants.iter().any(|p| p.is_match(&folded))
                };
                hit.then_some(text)
            }),
            Matcher::Regex(re) => {
                present().find_map(|v| text_of(v).filter(|text| re.is_match(text)))
            }
            Matcher::Cidr(net) => present().find_map(|v| {
                let text = text_of(v)?;
                let ip: IpAddr = text.parse().ok()?;
                net.contains(ip).then_some(text)
            }),
            Matcher::Number(op, bound) => present().find_map(|v| {
                let text = text_of(v)?;
                let x: f64 = text.trim().parse().ok()?;
                let hit = match op {
                    Compare::Lt => x < *bound,
                    Compare::Lte => x <= *bound,
                    Compare::Gt => x > *bound,
                    Compare::Gte => x >= *bound,
                };
                hit.then_some(text)
            }),
            Matcher::FieldRef(other) => {
                let others: Vec<String> = other
                    .resolve(record)
                    .into_iter()
                    .filter_map(text_of)
                    .collect();
                present().find_map(|v| text_of(v).filter(|t| others.contains(t)))
            }
        }
    }
}

/// What the modifiers of one detection item ask for.
#[derive(Default)]
struct Modifiers<'a> {
    /// String transformations, in order (`base64`, `contains`, ...).
    transforms: Vec<&'a str>,
    all: bool,
    cased: bool,
    kind: Option<&'a str>,
    regex_flags: String,
}

fn modifiers<'a>(list: &[&'a str]) -> Result<Modifiers<'a>, RuleError> {
    let mut m = Modifiers::default();
    for &name in list {
        match name {
            "contains" | "startswith" | "endswith" | "base64" | "base64offset" | "windash" => {
                m.transforms.push(name)
            }
            "all" => m.all = true,
            "cased" => m.cased = true,
            "re" | "cidr" | "exists" | "lt" | "lte" | "gt" | "gte" | "fieldref" => {
                m.kind = Some(name)
            }
            "i" | "m" | "s" if m.kind == Some("re") => m.regex_flags.push_str(name),
            "expand" => {
                return Err(RuleError::Modifier {
                    modifier: name.into(),
                    why: "placeholders need site-specific value lists, which AuditFlow does not have",
                })
            }
            "wide" | "utf16" | "utf16le" | "utf16be" => {
                return Err(RuleError::Modifier {
                    modifier: name.into(),
                    why: "UTF-16 encoded values occur in Windows logs, not in the formats AuditFlow reads",
                })
            }
            _ => {
                return Err(RuleError::Modifier {
                    modifier: name.into(),
                    why: "it is not a Sigma modifier AuditFlow knows",
                })
            }
        }
    }
    Ok(m)
}

/// A YAML scalar as Sigma's string form; `None` for null.
fn scalar(value: &Yaml) -> Result<Option<String>, RuleError> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Ok(Some(s.clone())),
        Yaml::Integer(i) => Ok(Some(i.to_string())),
        Yaml::Boolean(b) => Ok(Some(b.to_string())),
        Yaml::Null => Ok(None),
        other => Err(RuleError::Value(format!("{other:?} is not a scalar value"))),
    }
}

/// Applies `base64`, `base64offset`, `windash` and the wildcard modifiers in order.
fn transform(value: &str, transforms: &[&str]) -> Result<Vec<Vec<Piece>>, RuleError> {
    let mut variants = vec![pieces(value)];
    let need_plain = |v: &[Piece], name: &str| {
        plain(v).ok_or_else(|| {
            RuleError::Value(format!(
                "{name} needs a value without wildcards, got {value:?}"
            ))
        })
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    for &t in transforms {
        variants = match t {
            "contains" => variants.into_iter().map(|v| wrap(v, true, true)).collect(),
            "startswith" => variants.into_iter().map(|v| wrap(v, false, true)).collect(),
            "endswith" => variants.into_iter().map(|v| wrap(v, true, false)).collect(),
            "base64" => variants
                .iter()
                .map(|v| Ok(vec![Piece::Text(b64.encode(need_plain(v, t)?))]))
                .collect::<Result<_, RuleError>>()?,
            "base64offset" => {
                let mut out = Vec::new();
                for v in &variants {
                    out.extend(base64_offsets(&need_plain(v, t)?));
                }
                out
            }
            _ => variants.iter().flat_map(|v| windash(v)).collect(),
        };
    }
    Ok(variants)
}

fn wrap(mut v: Vec<Piece>, before: bool, after: bool) -> Vec<Piece> {
    if before && v.first() != Some(&Piece::Star) {
        v.insert(0, Piece::Star);
    }
    if after && v.last() != Some(&Piece::Star) {
        v.push(Piece::Star);
    }
    v
}

/// The three encodings of `value` at byte offsets 0, 1 and 2 of a base64 stream, trimmed
/// to the characters that do not depend on the surrounding bytes (as pySigma does).
fn base64_offsets(value: &str) -> Vec<Vec<Piece>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let (start, end) = ([0usize, 2, 3], [0usize, 3, 2]);
    (0..3)
        .map(|i| {
            let mut bytes = vec![b' '; i];
            bytes.extend_from_slice(value.as_bytes());
            let encoded = b64.encode(&bytes);
            let cut = encoded.len() - end[(value.len() + i) % 3];
            vec![Piece::Text(
                encoded[start[i]..cut.max(start[i])].to_string(),
            )]
        })
        .collect()
}

/// `windash`: the value with every `-` as each of the dashes Windows tools accept.
fn windash(v: &[Piece]) -> Vec<Vec<Piece>> {
    ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        .iter()
        .map(|dash| {
            v.iter()
                .map(|p| match p {
                    Piece::Text(t) => Piece::Text(t.replace('-', dash)),
                    other => other.clone(),
                })
                .collect()
        })
        .collect()
}

/// Compiles the values of one detection item under its modifiers.
/// Returns the matchers and whether all of them must match (`all`).
pub fn compile(mods: &[&str], values: &[Yaml]) -> Result<(Vec<Matcher>, bool), RuleError> {
    let m = modifiers(mods)?;
    let mut out = Vec::new();
    for value in values {
        let Some(text) = scalar(value)? else {
            out.push(Matcher::Null);
            continue;
        };
        let number = || {
            text.parse::<f64>()
                .map_err(|_| RuleError::Value(format!("{text:?} is not a number")))
        };
        out.push(match m.kind {
            Some("re") => {
                let flags = if m.regex_flags.is_empty() {
                    String::new()
                } else {
                    format!("(?{})", m.regex_flags)
                };
                let re = Regex::new(&format!("{flags}{text}"))
                    .map_err(|e| RuleError::Regex(e.to_string()))?;
                Matcher::Regex(re)
            }
            Some("cidr") => Matcher::Cidr(
                Cidr::parse(&text)
                    .ok_or_else(|| RuleError::Value(format!("{text:?} is not a CIDR network")))?,
            ),
            Some("exists") => match value {
                Yaml::Boolean(b) => Matcher::Exists(*b),
                _ => return Err(RuleError::Value("exists takes true or false".into())),
            },
            Some("lt") => Matcher::Number(Compare::Lt, number()?),
            Some("lte") => Matcher::Number(Compare::Lte, number()?),
            Some("gt") => Matcher::Number(Compare::Gt, number()?),
            Some("gte") => Matcher::Number(Compare::Gte, number()?),
            Some(_) => Matcher::FieldRef(FieldPath::new(&text)),
            None => {
                let variants = transform(&text, &m.transforms)?
                    .iter()
                    .map(|v| Pattern::compile(v, m.cased))
                    .collect::<Result<_, _>>()?;
                Matcher::Text {
                    variants,
                    cased: m.cased,
                }
            }
        });
    }
    Ok((out, m.all))
}
