//! Sigma string values: wildcards (`*`, `?`) with Sigma's escaping, compiled to the
//! cheapest matcher that decides them (equality, prefix, suffix, substring, or a regex).

use super::RuleError;
use regex::Regex;
use std::borrow::Cow;

/// One piece of a Sigma string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Splits a Sigma value into pieces. `\*`, `\?` and `\\` are literal; a backslash before
/// any other character is itself literal (Sigma's escaping rules).
pub fn pieces(value: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&next @ ('*' | '?' | '\\')) => {
                    text.push(next);
                    chars.next();
                }
                _ => text.push('\\'),
            },
            '*' | '?' => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(if c == '*' { Piece::Star } else { Piece::One });
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    out
}

/// The literal text of `pieces`, or `None` if they hold a wildcard.
pub fn plain(pieces: &[Piece]) -> Option<String> {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => s.push_str(t),
            _ => return None,
        }
    }
    Some(s)
}

/// Lowercases unless the text is already lowercase ASCII (the common case: no allocation).
pub fn fold(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase() || !b.is_ascii()) {
        Cow::Owned(s.to_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

/// A compiled string pattern. Text is stored folded when the match is case-insensitive.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// The whole value equals the text.
    Exact(String),
    /// The value starts with the text.
    Prefix(String),
    /// The value ends with the text.
    Suffix(String),
    /// The value contains the text.
    Contains(String),
    /// Any other wildcard shape, as an anchored regex.
    Wild(Regex),
}

impl Pattern {
    /// Compiles `pieces`; `cased` keeps the case (Sigma's `cased` modifier).
    pub fn compile(pieces: &[Piece], cased: bool) -> Result<Pattern, RuleError> {
        let text = |t: &str| {
            if cased {
                t.to_string()
            } else {
                fold(t).into_owned()
            }
        };
        let pattern = match pieces {
            [] => Pattern::Exact(String::new()),
            [Piece::Star] => Pattern::Prefix(String::new()),
            [Piece::Text(t)] => Pattern::Exact(text(t)),
            [Piece::Text(t), Piece::Star] => Pattern::Prefix(text(t)),
            [Piece::Star, Piece::Text(t)] => Pattern::Suffix(text(t)),
            [Piece::Star, Piece::Text(t), Piece::Star] => Pattern::Contains(text(t)),
            _ => {
                let mut re = String::from(if cased { "(?s)^" } else { "(?is)^" });
                for p in pieces {
                    match p {
                        Piece::Text(t) => re.push_str(&regex::escape(t)),
                        Piece::Star => re.push_str(".*"),
                        Piece::One => re.push('.'),
                    }
                }
                re.push('$');
                Pattern::Wild(Regex::new(&re).map_err(|e| RuleError::Regex(e.to_string()))?)
            }
        };
        Ok(pattern)
    }

    /// True if `value` (folded by the caller when case-insensitive) matches.
    pub fn is_match(&self, value: &str) -> bool {
        match self {
            Pattern::Exact(t) => value == t,
            Pattern::Prefix(t) => value.starts_with(t.as_str()),
            Pattern::Suffix(t) => value.ends_with(t.as_str()),
            Pattern::Contains(t) => value.contains(t.as_str()),
            Pattern::Wild(re) => re.is_match(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(rule: &str, value: &str) -> bool {
        let p = Pattern::compile(&pieces(rule), false).unwrap();
        p.is_match(&fold(value))
    }

    #[test]
    fn wildcards_and_escapes() {
        assert!(matches("Create*Key", "CreateAccessKey"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "abbc"));
        assert!(matches(r"\*", "*"));
        assert!(!matches(r"\*", "x"));
        assert!(matches(r#""Action":"\*""#, r#""action":"*""#));
        // A backslash before a wildcard escapes it: Sigma rules write `\\*` for "\ then any".
        assert!(matches(r"C:\Windows\\*", r"c:\windows\x"));
        assert!(!matches(r"C:\Windows\*", r"c:\windows\x"));
        assert!(matches(r"C:\Windows\*", r"c:\windows*"));
        assert!(matches(r"a\\*", r"a\bc"));
        assert!(matches(
            "*ADMIN*",
            "arn:aws:iam::aws:policy/AdministratorAccess"
        ));
    }

    #[test]
    fn shapes_are_cheap_where_possible() {
        assert!(matches!(
            Pattern::compile(&pieces("*x*"), false).unwrap(),
            Pattern::Contains(_)
        ));
        assert!(matches!(
            Pattern::compile(&pieces("x*y"), false).unwrap(),
            Pattern::Wild(_)
        ));
    }

    #[test]
    fn cased_keeps_case() {
        let p = Pattern::compile(&pieces("Root"), true).unwrap();
        assert!(p.is_match("Root"));
        assert!(!p.is_match("root"));
    }
}
