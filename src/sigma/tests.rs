//! Rule-level tests: whole rules parsed from YAML and evaluated on JSON records.

use super::*;
use serde_json::json;

fn rule(yaml: &str) -> Rule {
    Rule::parse(yaml).unwrap()
}
