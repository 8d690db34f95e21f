//! Sigma conditions: `and`, `or`, `not`, parentheses, `1 of pattern*`, `all of them`,
//! parsed against the rule's selection names (so a typo is a load error, not a silent
//! never-match).

use super::RuleError;

/// A parsed condition. Selections are referred to by their index in the rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    /// One selection.
    Selection(usize),
    /// Negation.
    Not(Box<Condition>),
    /// All must hold.
    And(Vec<Condition>),
    /// At least one must hold.
    Or(Vec<Condition>),
}

impl Condition {
    /// Evaluates with `selection(i)` telling whether selection `i` matches.
    pub fn eval(&self, selection: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Condition::Selection(i) => selection(*i),
            Condition::Not(c) => !c.eval(selection),
            Condition::And(cs) => cs.iter().all(|c| c.eval(selection)),
            Condition::Or(cs) => cs.iter().any(|c| c.eval(selection)),
        }
    }

    /// Selections that count in favour of a match (not under an odd number of `not`s).
    pub fn positive(&self, negated: bool, out: &mut Vec<usize>) {
        match self {
            Condition::Selection(i) if !negated && !out.contains(i) => out.push(*i),
            Condition::Selection(_) => {}
            Condition::Not(c) => c.positive(!negated, out),
            Condition::And(cs) | Condition::Or(cs) => {
                cs.iter().for_each(|c| c.positive(negated, out))
            }
        }
    }

    /// Parses `text` against the selection `names`.
    pub fn parse(text: &str, names: &[String]) -> Result<Condition, RuleError> {
        let fail = |message: String| RuleError::Condition {
            condition: text.to_string(),
            message,
        };
        if text.contains('|') {
            return Err(fail(
                "aggregations after `|` (count() by ...) are deprecated in Sigma; \
                 write a correlation rule instead"
                    .into(),
            ));
        }
        let spaced = text.replace('(', " ( ").replace(')', " ) ");
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            names,
        };
        let condition = parser.or().map_err(fail)?;
        match parser.tokens.get(parser.at) {
            None => Ok(condition),
            Some(t) => Err(fail(format!("unexpected {t:?}"))),
        }
    }
}

struct Parser<'a> {
    tokens: &'a [&'a str],
    at: usize,
    names: &'a [String],
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.tokens.get(self.at).copied()
    }

    fn next(&mut self) -> Option<&'a str> {
        let t = self.peek();
        self.at += 1;
        t
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut parts = vec![self.and()?];
        while self.peek() == Some("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut parts = vec![self.not()?];
        while self.peek() == Some("and") {
            self.at += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Condition::And(parts)
        })
    }

    fn not(&mut self) -> Result<Condition, String> {
        if self.peek() == Some("not") {
            self.at += 1;
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, String> {
        match self.next() {
            None => Err("ends where a selection was expected".into()),
            Some("(") => {
                let inner = self.or()?;
                match self.next() {
                    Some(")") => Ok(inner),
                    _ => Err("a parenthesis is not closed".into()),
                }
            }
            Some(q @ ("1" | "any" | "all")) if self.peek() == Some("of") => {
                let all = q == "all";
                self.at += 1;
                let target = self.next().ok_or("`of` needs a pattern or `them`")?;
                let picked = self.pick(target)?;
                let parts = picked.into_iter().map(Condition::Selection).collect();
                Ok(if all {
                    Condition::And(parts)
                } else {
                    Condition::Or(parts)
                })
            }
            Some(q) if self.peek() == Some("of") => {
                Err(format!("`{q} of` is not supported: use `1 of` or `all of`"))
            }
            Some(name) => self
                .names
                .iter()
                .position(|n| n == name)
                .map(Condition::Selection)
                .ok_or_else(|| format!("no selection named {name:?}")),
        }
    }

    /// The selections a `1 of` / `all of` target names: `them` (all but `_`-prefixed
    /// ones) or a pattern with `*` wildcards.
    fn pick(&self, target: &str) -> Result<Vec<usize>, String> {
        let picked: Vec<usize> = self
            .names
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                if target == "them" {
                    !n.starts_with('_')
                } else {
                    glob_match(target, n)
                }
            })
            .map(|(i, _)| i)
            .collect();
        if picked.is_empty() {
            return Err(format!("{target:?} matches no selection"));
        }
        Ok(picked)
    }
}

/// `*`-only glob matching of selection names.
fn glob_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn eval(text: &str, names_: &[&str], truth: &[bool]) -> bool {
        Condition::parse(text, &names(names_))
            .unwrap()
            .eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_and_parentheses() {
        let n = ["a", "b", "c"];
        // not binds tighter than and, and tighter than or.
        assert!(eval("a or b and c", &n, &[true, false, false]));
        assert!(!eval("(a or b) and c", &n, &[true, false, false]));
        assert!(eval("a and not b", &n, &[true, false, false]));
        assert!(!eval("not (a or b)", &n, &[false, true, false]));
    }

    #[test]
    fn quantifiers() {
        let n = ["selection_a", "selection_b", "filter", "_hidden"];
        assert!(eval("1 of selection_*", &n, &[false, true, false, false]));
        assert!(!eval(
            "all of selection_*",
            &n,
            &[false, true, false, false]
        ));
        assert!(eval("all of them", &n, &[true, true, true, false]));
        assert!(eval("1 of them", &n, &[false, false, true, false]));
        assert!(!eval("1 of them", &n, &[false, false, false, true]));
        assert!(glob_match("sel*_x*", "selection_x1") && !glob_match("a*b", "ab_c"));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let n = names(&["selection"]);
        for (text, needle) in [
            ("selectoin", "no selection named"),
            ("selection and (selection", "not closed"),
            ("selection | count() by x > 5", "correlation"),
            ("1 of filter*", "matches no selection"),
            ("selection selection", "unexpected"),
        ] {
            let err = Condition::parse(text, &n).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
