//! Field monitors for AWS WAF logs: for a chosen field, which values to watch.
//!
//! A spec lists monitors as `[[monitors]]` tables: `field` is one of `action`, `country`,
//! `method`, `status`, `rule`, `uri`; either `values` (a record matches when its field is
//! one of them, case-insensitive; for `status`, `4xx`-style classes are allowed) or `known`
//! (a record matches when its field is *not* one of them: an unknown country). Monitors are
//! checked per record by [`Monitors::matches`] as the record is parsed, then counted per
//! client over the window and the baseline and scored by
//! [`crate::operators::MonitorWindows`].
//!
//! ```toml
//! [[monitors]]
//! field = "action"
//! values = ["BLOCK"]
//!
//! [[monitors]]
//! field = "country"
//! known = ["US", "DE", "GB"]
//! ```

use crate::parse::{waf, ParseError};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The WAF record field a monitor watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorField {
    /// `action`: ALLOW, BLOCK, COUNT, CAPTCHA, CHALLENGE.
    Action,
    /// `httpRequest.country`, two letters.
    Country,
    /// `httpRequest.httpMethod`.
    Method,
    /// `responseCodeSent` (absent: not matched).
    Status,
    /// `terminatingRuleId`.
    Rule,
    /// `httpRequest.uri`.
    Uri,
}

/// One monitor of a spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    /// The field watched.
    pub field: MonitorField,
    /// Values that match.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Known values: anything else matches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub known: Vec<String>,
}

impl MonitorSpec {
    /// Checks that exactly one of `values` and `known` is given and that status values are
    /// codes (`403`) or classes (`4xx`).
    pub fn validate(&self) -> Result<()> {
        let what = "monitors";
        if self.values.is_empty() == self.known.is_empty() {
            return Err(Error::invalid(
                what,
                format!(
                    "monitor of {:?}: give either `values` (what to watch) or `known` (what is normal), not both or neither",
                    self.field
                ),
            ));
        }
        if self.field == MonitorField::Status {
            for v in self.values.iter().chain(&self.known) {
                let class =
                    v.len() == 3 && v.is_char_boundary(1) && v[1..].eq_ignore_ascii_case("xx");
                if !class && v.parse::<u16>().is_err() {
                    return Err(Error::invalid(
                        what,
                        format!("status value {v:?}: use an HTTP code (403) or a class (4xx)"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn listed(&self, list: &[String], value: &str) -> bool {
        list.iter().any(|v| match self.field {
            MonitorField::Status
                if v.len() == 3 && v.is_char_boundary(1) && v[1..].eq_ignore_ascii_case("xx") =>
            {
                value.len() == 3 && value.as_bytes()[0] == v.as_bytes()[0]
            }
            _ => v.eq_ignore_ascii_case(value),
        })
    }

    /// Whether a record whose field holds `value` (`None`: absent) matches.
    pub fn matches_value(&self, value: Option<&str>) -> bool {
        match value {
            None => false,
            Some(v) if self.known.is_empty() => self.listed(&self.values, v),
            Some(v) => !self.listed(&self.known, v),
        }
    }
}

/// A spec's monitors, checked together on each record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Monitors(pub Vec<MonitorSpec>);

impl Monitors {
    /// Which monitors a raw WAF record matches, in spec order.
    pub fn matches(&self, raw: &[u8]) -> Result<Vec<bool>, ParseError> {
        Ok(self.matches_record(&waf::read(raw)?))
    }

    /// Which monitors a read WAF record matches, in spec order.
    pub(crate) fn matches_record(&self, record: &waf::Record<'_>) -> Vec<bool> {
        let w = record.watched();
        let status = w.status.map(|c| c.to_string());
        self.0
            .iter()
            .map(|m| {
                let value = match m.field {
                    MonitorField::Action => w.action,
                    MonitorField::Rule => w.rule,
                    MonitorField::Status => status.as_deref(),
                    MonitorField::Country => w.country,
                    MonitorField::Method => w.method,
                    MonitorField::Uri => w.uri,
                };
                m.matches_value(value)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitors(toml_text: &str) -> Monitors {
        #[derive(Deserialize)]
        struct Doc {
            monitors: Vec<MonitorSpec>,
        }
        let doc: Doc = toml::from_str(toml_text).unwrap();
        for m in &doc.monitors {
            m.validate().unwrap();
        }
        Monitors(doc.monitors)
    }

    #[test]
    fn monitors_match_blocks_unknown_countries_deletes_and_error_classes() {
        let m = monitors(
            r#"
            [[monitors]]
            field = "action"
            values = ["BLOCK"]
            [[monitors]]
            field = "country"
            known = ["US", "DE"]
            [[monitors]]
            field = "method"
            values = ["DELETE"]
            [[monitors]]
            field = "status"
            values = ["4xx", "5xx"]
            "#,
        );
        let fixture = include_str!("../../tests/data/families/waf.jsonl");
        let got: Vec<Vec<bool>> = fixture
            .lines()
            .take(4)
            .map(|l| m.matches(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(got[0], [false, false, false, false]);
        assert_eq!(got[1], [true, true, false, false], "BLOCK from KP");
        assert_eq!(got[2], [false, false, true, true], "DELETE answered 404");
        assert_eq!(got[3], [false, false, false, false], "CAPTCHA from DE");
        assert!(m.matches(b"{\"action\":").is_err());
    }

    #[test]
    fn invalid_monitors_are_explained() {
        let both = MonitorSpec {
            field: MonitorField::Country,
            values: vec!["KP".into()],
            known: vec!["US".into()],
        };
        assert!(both
            .validate()
            .unwrap_err()
            .to_string()
            .contains("either `values`"));
        let bad_status = MonitorSpec {
            field: MonitorField::Status,
            values: vec!["teapot".into()],
            known: vec![],
        };
        assert!(bad_status
            .validate()
            .unwrap_err()
            .to_string()
            .contains("HTTP code"));
    }
}
