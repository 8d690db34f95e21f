//! Loading rule files and directories, and the report of which rules load and why others
//! do not.

use super::{Correlation, Rule, RuleError};
use crate::{Error, Result};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A rule that loaded, and its file.
#[derive(Clone, Debug)]
pub struct LoadedRule {
    /// The rule file.
    pub path: PathBuf,
    /// The rule.
    pub rule: Rule,
}

/// A rule file that did not load, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadFailure {
    /// The rule file.
    pub path: PathBuf,
    /// Why it does not load.
    pub reason: RuleError,
}

/// A correlation rule that loaded (its base rules found), and its file.
#[derive(Clone, Debug)]
pub struct LoadedCorrelation {
    /// The rule file.
    pub path: PathBuf,
    /// The correlation.
    pub correlation: Correlation,
}

/// Which rule files under some paths load, and why the others do not.
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Rules that load, in path order.
    pub loaded: Vec<LoadedRule>,
    /// Correlation rules that load, in path order.
    pub correlations: Vec<LoadedCorrelation>,
    /// Files that do not, in path order.
    pub failed: Vec<LoadFailure>,
}

impl CheckReport {
    /// Loads every rule under `paths`: files as given, directories searched recursively for
    /// `.yml` / `.yaml` files in name order. A path that does not exist is an error.
    pub fn check(paths: &[PathBuf]) -> Result<CheckReport> {
        let files = rule_files(paths)?;
        let mut report = CheckReport::default();
        let mut pending = Vec::new();
        let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in files {
            let loaded = read_rule(&path)
                .map_err(|e| RuleError::Read(e.to_string()))
                .and_then(|text| Rule::parse(&text))
                .and_then(|rule| match ids.get(&rule.id) {
                    Some(first) => Err(RuleError::DuplicateId {
                        id: rule.id.clone(),
                        first: first.display().to_string(),
                    }),
                    None => Ok(rule),
                });
            match loaded {
                Ok(rule) => {
                    ids.insert(rule.id.clone(), path.clone());
                    report.loaded.push(LoadedRule { path, rule });
                }
                Err(RuleError::Correlation) => {
                    match read_rule(&path)
                        .map_err(|e| RuleError::Read(e.to_string()))
                        .and_then(|text| Correlation::parse(&text))
                    {
                        Ok(correlation) => pending.push(LoadedCorrelation { path, correlation }),
                        Err(reason) => report.failed.push(LoadFailure { path, reason }),
                    }
                }
                Err(reason) => report.failed.push(LoadFailure { path, reason }),
            }
        }
        // A correlation loads only if every rule it names (by `name` or `id`) loaded.
        for loaded in pending {
            let missing = loaded.correlation.rules.iter().find(|name| {
                !report
                    .loaded
                    .iter()
                    .any(|l| l.rule.id == **name || l.rule.name.as_deref() == Some(name.as_str()))
            });
            match missing {
                Some(name) => report.failed.push(LoadFailure {
                    path: loaded.path,
                    reason: RuleError::Value(format!(
                        "correlation names rule {name:?}, but no loaded rule has that name or id"
                    )),
                }),
                None => report.correlations.push(loaded),
            }
        }
        report.failed.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(report)
    }

    /// The report as JSON: `{"loaded": N, "failed": [{"path", "reason"}], "rules": [...]}`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({
            "loaded": self.loaded.len() + self.correlations.len(),
            "correlations": self.correlations.iter().map(|c| json!({
                "path": c.path.display().to_string(),
                "id": c.correlation.id,
                "title": c.correlation.title,
                "type": c.correlation.kind_name,
            })).collect::<Vec<_>>(),
            "failed": self.failed.iter().map(|f| json!({
                "path": f.path.display().to_string(),
                "reason": f.reason.to_string(),
            })).collect::<Vec<_>>(),
            "rules": self.loaded.iter().map(|l| json!({
                "path": l.path.display().to_string(),
                "id": l.rule.id,
                "title": l.rule.title,
                "level": l.rule.level,
                "target": l.rule.target,
            })).collect::<Vec<_>>(),
        })
    }
}

/// The rule files under `paths`, in the order they load (see [`CheckReport::check`]).
pub(super) fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == super::shipped::BUILTIN_PRIVILEGED {
            for (name, _) in super::shipped::SHIPPED_RULES {
                files.push(PathBuf::from(format!("{}/{name}", path.display())));
            }
            continue;
        }
        collect(path, &mut files)?;
    }
    Ok(files)
}

fn collect(path: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("cannot read rules", path, e))?;
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| Error::io("cannot list rules", path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for entry in entries {
        let is_rule = entry.extension().is_some_and(|x| x == "yml" || x == "yaml");
        if entry.is_dir() || is_rule {
            collect(&entry, files)?;
        }
    }
    Ok(())
}

/// A rule file's text; `builtin:privileged/NAME` is a shipped rule built into the binary.
pub(super) fn read_rule(path: &Path) -> std::io::Result<String> {
    let text = path.to_string_lossy();
    let builtin = text
        .strip_prefix(super::shipped::BUILTIN_PRIVILEGED)
        .and_then(|rest| rest.strip_prefix('/'));
    match builtin {
        Some(name) => super::shipped::SHIPPED_RULES
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such shipped rule")
            }),
        None => std::fs::read_to_string(path),
    }
}
