//! One Sigma rule: metadata, logsource target, compiled selections and condition, and its
//! evaluation on a raw JSON record.

use super::condition::Condition;
use super::fields::{leaves, FieldPath, Target};
use super::value::{self, Matcher};
use super::RuleError;
use serde_json::Value;
use std::collections::BTreeMap;
use yaml_rust2::{Yaml, YamlLoader};

/// A loaded Sigma rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The rule's `id` (or, without one, an id derived from its title).
    pub id: String,
    /// The rule's `title`.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical` (`medium` when absent).
    pub level: String,
    /// Tags, ATT&CK ones included (`attack.t1098`).
    pub tags: Vec<String>,
    /// Which records it is evaluated on.
    pub target: Target,
    /// The rule's `name`, by which correlation rules refer to it.
    pub name: Option<String>,
    names: Vec<String>,
    selections: Vec<Selection>,
    condition: Condition,
    positive: Vec<usize>,
}

/// A selection: alternatives (a list of maps) of items that must all match.
#[derive(Clone, Debug)]
struct Selection {
    alternatives: Vec<Vec<Item>>,
}

/// One field (or keyword) test.
#[derive(Clone, Debug)]
struct Item {
    /// The Sigma field name and where it is found; `None` for keywords.
    field: Option<(String, FieldPath)>,
    matchers: Vec<Matcher>,
    all: bool,
}

/// What a rule matched on one record: the selections in favour of the match and the field
/// values that satisfied them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleHit {
    /// Names of the matched selections, in rule order.
    pub selections: Vec<String>,
    /// Sigma field name (or `keywords`) to the record value that matched.
    pub fields: BTreeMap<String, String>,
}

fn key<'y>(doc: &'y Yaml, name: &str) -> &'y Yaml {
    &doc[name]
}

impl Rule {
    /// Parses and compiles the text of one rule file.
    pub fn parse(text: &str) -> Result<Rule, RuleError> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| RuleError::Yaml(e.to_string()))?;
        let docs: Vec<&Yaml> = docs.iter().filter(|d| !d.is_null()).collect();
        let doc = match docs.as_slice() {
            [doc] => *doc,
            [] => return Err(RuleError::Missing("title")),
            many => return Err(RuleError::MultiDocument(many.len())),
        };
        if !key(doc, "correlation").is_badvalue() {
            return Err(RuleError::Correlation);
        }
        let text_of = |name: &'static str| key(doc, name).as_str().map(str::to_string);
        let title = text_of("title").ok_or(RuleError::Missing("title"))?;
        let logsource = key(doc, "logsource");
        if logsource.as_hash().is_none() {
            return Err(RuleError::Missing("logsource"));
        }
        let target = Target::of(
            logsource["product"].as_str(),
            logsource["service"].as_str(),
            logsource["category"].as_str(),
        )?;
        let detection = key(doc, "detection")
            .as_hash()
            .ok_or(RuleError::Missing("detection"))?;
        let mut names = Vec::new();
        let mut selections = Vec::new();
        let mut conditions = Vec::new();
        for (k, v) in detection {
            let name = k.as_str().ok_or(RuleError::Missing("detection"))?;
            match name {
                "condition" => match v {
                    Yaml::String(c) => conditions.push(c.clone()),
                    Yaml::Array(cs) => {
                        conditions.extend(cs.iter().filter_map(|c| c.as_str().map(String::from)))
                    }
                    _ => return Err(RuleError::Missing("detection.condition")),
                },
                // Only meaningful with the deprecated aggregations, which are rejected.
                "timeframe" => {}
                _ => {
                    let selection =
                        Selection::parse(v, target).map_err(|e| RuleError::Selection {
                            name: name.to_string(),
                            reason: Box::new(e),
                        })?;
                    names.push(name.to_string());
                    selections.push(selection);
                }
            }
        }
        if conditions.is_empty() {
            return Err(RuleError::Missing("detection.condition"));
        }
        // A list of conditions means any of them.
        let mut parsed = conditions
            .iter()
            .map(|c| Condition::parse(c, &names))
            .collect::<Result<Vec<_>, _>>()?;
        let condition = if parsed.len() == 1 {
            parsed.remove(0)
        } else {
            Condition::Or(parsed)
        };
        let mut positive = Vec::new();
        condition.positive(false, &mut positive);
        positive.sort_unstable();
        let id = text_of("id")
            .unwrap_or_else(|| crate::detect::alert::content_id(&["sigma-title", &title]));
        let tags = key(doc, "tags")
            .as_vec()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Rule {
            id,
            title,
            level: text_of("level").unwrap_or_else(|| "medium".into()),
            tags,
            target,
            name: text_of("name"),
            names,
            selections,
            condition,
            positive,
        })
    }

    /// Evaluates the rule on a record of its target (the whole raw record; an EventBridge
    /// envelope is looked through). `None` if it does not match.
    pub fn evaluate(&self, record: &Value) -> Option<RuleHit> {
        let root = self.target.root(record);
        let mut memo: Vec<Option<bool>> = vec![None; self.selections.len()];
        let mut selection =
            |i: usize| *memo[i].get_or_insert_with(|| self.selections[i].evidence(root).is_some());
        if !self.condition.eval(&mut selection) {
            return None;
        }
        let mut hit = RuleHit {
            selections: Vec::new(),
            fields: BTreeMap::new(),
        };
        for &i in &self.positive {
            if let Some(evidence) = self.selections[i].evidence(root) {
                hit.selections.push(self.names[i].clone());
                hit.fields.extend(evidence);
            }
        }
        Some(hit)
    }
}

impl Selection {
    fn parse(value: &Yaml, target: Target) -> Result<Selection, RuleError> {
        let alternatives = match value {
            Yaml::Hash(_) => vec![Item::parse_map(value, target)?],
            Yaml::Array(list) if list.iter().all(|v| v.as_hash().is_some()) => list
                .iter()
                .map(|m| Item::parse_map(m, target))
                .collect::<Result<_, _>>()?,
            Yaml::Array(list) if list.iter().all(|v| v.as_hash().is_none()) => {
                let (matchers, _) = value::compile(&["contains"], list)?;
                matchers
                    .into_iter()
                    .map(|m| {
                        vec![Item {
                            field: None,
                            matchers: vec![m],
                            all: false,
                        }]
                    })
                    .collect()
            }
            Yaml::String(_) => {
                Selection::parse(&Yaml::Array(vec![value.clone()]), target)?.alternatives
            }
            _ => {
                return Err(RuleError::Value(
                    "a selection is a map, a list of maps, or a list of keywords".into(),
                ))
            }
        };
        Ok(Selection { alternatives })
    }

    /// The field values of the first alternative that matches, if any does.
    fn evidence(&self, root: &Value) -> Option<Vec<(String, String)>> {
        self.alternatives.iter().find_map(|items| {
            items
                .iter()
                .map(|item| {
                    let name = item.field.as_ref().map_or("keywords", |(n, _)| n.as_str());
                    item.matches(root).map(|v| (name.to_string(), v))
                })
                .collect()
        })
    }
}

impl Item {
    fn parse_map(map: &Yaml, target: Target) -> Result<Vec<Item>, RuleError> {
        let hash = map.as_hash().expect("called on maps");
        hash.iter()
            .map(|(k, v)| {
                let spec = k
                    .as_str()
                    .ok_or_else(|| RuleError::Value(format!("field name {k:?} is not text")))?;
                let mut parts = spec.split('|');
                let field = parts.next().unwrap_or("");
                let mods: Vec<&str> = parts.collect();
                let values = match v {
                    Yaml::Array(list) if list.is_empty() => {
                        return Err(RuleError::Value(format!("{spec}: empty value list")))
                    }
                    Yaml::Array(list) => list.clone(),
                    scalar => vec![scalar.clone()],
                };
                let (matchers, all) = value::compile(&mods, &values)?;
                let field = (!field.is_empty())
                    .then(|| (field.to_string(), FieldPath::new(&target.field_path(field))));
                Ok(Item {
                    field,
                    matchers,
                    all,
                })
            })
            .collect()
    }

    /// The matched record value(s), or `None`.
    fn matches(&self, root: &Value) -> Option<String> {
        let candidates = match &self.field {
            Some((_, path)) => path.resolve(root),
            None => {
                let mut all = Vec::new();
                leaves(root, &mut all);
                all
            }
        };
        if self.all {
            let found: Option<Vec<String>> = self
                .matchers
                .iter()
                .map(|m| m.first_match(&candidates, root))
                .collect();
            let mut found = found?;
            found.dedup();
            Some(found.join(" | "))
        } else {
            self.matchers
                .iter()
                .find_map(|m| m.first_match(&candidates, root))
        }
    }
}
