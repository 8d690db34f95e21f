//! Rule reload without a restart: a [`RuleWatcher`] notices edited rule files (by polling
//! their modification times and sizes, or at once on SIGHUP) and yields the new rule texts.
//!
//! An edited file that does not load is reported on stderr and its previous version kept;
//! a new file that does not load is left out. Correlation rules are fixed for the run: an
//! added or edited correlation file is reported and needs a restart, so the correlation
//! windows stay as they are while their base rules change. When the new texts take effect
//! in the dataflow is defined by [`super::versions`].

use super::load::{read_rule, rule_files};
use super::{Correlation, Rule, RuleError, RuleSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// How often a run that reloads rules checks the files (SIGHUP checks at once).
pub const RULE_POLL: Duration = Duration::from_secs(1);

/// The detection rule files in effect: `(path, text)` in load order. It travels between
/// processes, so every worker compiles the same rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RuleTexts(pub Vec<(String, String)>);

impl RuleTexts {
    /// The rule set: these detection rules and the run's fixed `correlations`.
    pub fn compile(&self, correlations: &[Correlation]) -> RuleSet {
        let rules = self
            .0
            .iter()
            .filter_map(|(_, text)| Rule::parse(text).ok())
            .collect();
        RuleSet::with_correlations(rules, correlations.to_vec())
    }
}

/// What identifies a version of the rule files without reading them: path, modification
/// time and size of each.
type Fingerprint = Vec<(PathBuf, Option<SystemTime>, u64)>;

/// Watches rule files and yields their new texts when they change (see the module docs).
pub struct RuleWatcher {
    paths: Vec<PathBuf>,
    accepted: BTreeMap<PathBuf, String>,
    correlations: BTreeMap<PathBuf, String>,
    fingerprint: Fingerprint,
    hangup: Arc<AtomicBool>,
    every: Duration,
    last_poll: Instant,
}

impl RuleWatcher {
    /// Watches the rule files under `paths` (as given to [`RuleSet::load`]), checking them
    /// every `every` and on SIGHUP. The texts in effect are the files' current ones.
    pub fn new(paths: &[PathBuf], every: Duration) -> crate::Result<RuleWatcher> {
        let hangup = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal_hook::consts::SIGHUP, hangup.clone()).map_err(|e| {
            crate::Error::invalid("rule reload", format!("cannot watch SIGHUP: {e}"))
        })?;
        let mut watcher = RuleWatcher {
            paths: paths.to_vec(),
            accepted: BTreeMap::new(),
            correlations: BTreeMap::new(),
            fingerprint: Vec::new(),
            hangup,
            every,
            last_poll: Instant::now(),
        };
        let files = rule_files(paths)?;
        watcher.fingerprint = fingerprint(&files);
        for file in files {
            let Ok(text) = read_rule(&file) else { continue };
            match Rule::parse(&text) {
                Ok(_) => watcher.accepted.insert(file, text),
                Err(_) => watcher.correlations.insert(file, text),
            };
        }
        Ok(watcher)
    }

    /// The detection rule texts in effect.
    pub fn texts(&self) -> RuleTexts {
        RuleTexts(
            self.accepted
                .iter()
                .map(|(p, t)| (p.display().to_string(), t.clone()))
                .collect(),
        )
    }

    /// The new rule texts if a check is due (the poll interval passed, or SIGHUP came) and
    /// the files changed what is in effect; problems are reported on stderr.
    pub fn poll(&mut self) -> Option<RuleTexts> {
        let hangup = self.hangup.swap(false, Ordering::SeqCst);
        if !hangup && self.last_poll.elapsed() < self.every {
            return None;
        }
        self.last_poll = Instant::now();
        let files = match rule_files(&self.paths) {
            Ok(files) => files,
            Err(e) => {
                eprintln!("rule reload: {e}; keeping the rules in effect");
                return None;
            }
        };
        let fingerprint = fingerprint(&files);
        if !hangup && fingerprint == self.fingerprint {
            return None;
        }
        self.fingerprint = fingerprint;
        let (next, problems) = self.reconcile(&files);
        for problem in &problems {
            eprintln!("rule reload: {problem}");
        }
        if next == self.accepted {
            return None;
        }
        self.accepted = next;
        eprintln!(
            "rule reload: {} detection rules in effect from the next granule",
            self.accepted.len()
        );
        Some(self.texts())
    }

    /// The texts to put in effect for `files`, and what could not be taken.
    fn reconcile(&self, files: &[PathBuf]) -> (BTreeMap<PathBuf, String>, Vec<String>) {
        let mut next = BTreeMap::new();
        let mut problems = Vec::new();
        let mut ids: BTreeMap<String, PathBuf> = BTreeMap::new();
        for file in files {
            let previous = self.accepted.get(file);
            let parsed = read_rule(file)
                .map_err(|e| RuleError::Read(e.to_string()))
                .and_then(|text| Rule::parse(&text).map(|rule| (text, rule)))
                .and_then(|(text, rule)| match ids.get(&rule.id) {
                    Some(first) => Err(RuleError::DuplicateId {
                        id: rule.id,
                        first: first.display().to_string(),
                    }),
                    None => Ok((text, rule)),
                });
            match parsed {
                Ok((text, rule)) => {
                    ids.insert(rule.id, file.clone());
                    next.insert(file.clone(), text);
                }
                Err(RuleError::Correlation) => {
                    let unchanged = read_rule(file).ok().as_ref() == self.correlations.get(file);
                    if !unchanged {
                        problems.push(format!(
                            "{}: correlation rules are fixed for the run; restart to apply it",
                            file.display()
                        ));
                    }
                }
                Err(reason) => {
                    let kept = match previous {
                        Some(text) => {
                            next.insert(file.clone(), text.clone());
                            "keeping its previous version"
                        }
                        None => "left out",
                    };
                    problems.push(format!("{}: {reason}; {kept}", file.display()));
                }
            }
        }
        (next, problems)
    }
}

fn fingerprint(files: &[PathBuf]) -> Fingerprint {
    files
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok();
            let modified = meta.as_ref().and_then(|m| m.modified().ok());
            (f.clone(), modified, meta.map_or(0, |m| m.len()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "title: T\nid: ID\nlogsource: {product: aws, service: cloudtrail}\n\
        detection:\n  sel: {eventName: NAME}\n  condition: sel\nlevel: high\n";

    fn rule(id: &str, name: &str) -> String {
        RULE.replace("ID", id).replace("NAME", name)
    }

    #[test]
    fn edits_are_picked_up_and_a_broken_edit_keeps_the_previous_version() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.yml");
        std::fs::write(&a, rule("a", "StopLogging")).unwrap();
        let mut watcher = RuleWatcher::new(&[dir.path().to_path_buf()], Duration::ZERO).unwrap();
        assert_eq!(watcher.poll(), None, "nothing changed");
        std::fs::write(dir.path().join("b.yml"), rule("b", "DeleteTrail")).unwrap();
        let texts = watcher.poll().expect("a new rule file");
        assert_eq!(texts.0.len(), 2);
        std::fs::write(&a, "title: [broken").unwrap();
        assert_eq!(
            watcher.poll(),
            None,
            "a broken edit keeps what is in effect"
        );
        assert_eq!(watcher.texts(), texts);
        std::fs::write(dir.path().join("c.yml"), rule("b", "CreateUser")).unwrap();
        assert_eq!(watcher.poll(), None, "a duplicate id is left out");
        std::fs::remove_file(dir.path().join("b.yml")).unwrap();
        let set = watcher.poll().expect("b removed, c now loads").compile(&[]);
        let names: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(set.rules()[1].title, "T");
    }
}
