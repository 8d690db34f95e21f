//! Human-readable explanations: observed against expected, for the strongest features.

use super::{Contribution, Detail, ScoringConfig};
use std::fmt::Write;

/// At most this many contributions are explained.
const MAX_EXPLAINED: usize = 5;

/// The strongest features (weighted score at least `min_contribution`, and above 0),
/// strongest first, ties by feature name, at most five, formatted.
pub(super) fn top(
    features: &[(&'static str, f64, Detail<'_>)],
    config: &ScoringConfig,
) -> Vec<Contribution> {
    let mut order: Vec<usize> = (0..features.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (na, sa, _) = features[a];
        let (nb, sb, _) = features[b];
        sb.total_cmp(&sa).then_with(|| na.cmp(nb))
    });
    order
        .iter()
        .map(|&i| &features[i])
        .filter(|(_, s, _)| *s > 0.0 && *s >= config.min_contribution)
        .take(MAX_EXPLAINED)
        .map(|(name, s, detail)| {
            let (observed, expected) = describe(detail);
            Contribution {
                feature: (*name).to_string(),
                observed,
                expected,
                score: *s,
            }
        })
        .collect()
}

/// A count held as `f64`, printed as `{:.0}` prints it. Whole numbers (every count) take
/// the integer path: `{:.0}` on a float runs exact decimal conversion, which was 2 % of a
/// scoring run with one explanation per scored window.
struct Whole(f64);

impl std::fmt::Display for Whole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let v = self.0;
        if v.fract() == 0.0 && v.abs() < 1e15 && !(v == 0.0 && v.is_sign_negative()) {
            write!(f, "{}", v as i64)
        } else {
            std::fmt::Display::fmt(&v, f)
        }
    }
}

/// A share as a percentage: `98%`, `4.2%`, `<0.1%`, `0%`.
fn pct(share: f64) -> String {
    let v = share * 100.0;
    if v.is_nan() || v <= 0.0 {
        "0%".to_string()
    } else if v >= 9.95 {
        format!("{v:.0}%")
    } else if v >= 0.05 {
        format!("{v:.1}%")
    } else {
        "<0.1%".to_string()
    }
}

/// A duration: `5m`, `1h`, `90s`.
fn duration(secs: u64) -> String {
    if secs > 0 && secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else if secs > 0 && secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Share `part / whole`, 0 when `whole` is 0.
fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole
    } else {
        0.0
    }
}

/// The hours of day holding at least 1% of the baseline, as circular ranges:
/// `09-17h UTC`, `all hours`, `none`.
fn active_hours(counts: &[f64; 24], total: f64) -> String {
    let active: [bool; 24] = std::array::from_fn(|h| total > 0.0 && counts[h] >= 0.01 * total);
    let Some(start) = (0..24).find(|&h| !active[h]) else {
        return "all hours UTC".to_string();
    };
    let mut out = String::new();
    let mut h = 0;
    while h < 24 {
        let first = (start + h) % 24;
        if !active[first] {
            h += 1;
            continue;
        }
        let mut len = 1;
        while h + len < 24 && active[(start + h + len) % 24] {
            len += 1;
        }
        let last = (first + len - 1) % 24;
        if !out.is_empty() {
            out.push_str(", ");
        }
        if len == 1 {
            let _ = write!(out, "{first:02}h");
        } else {
            let _ = write!(out, "{first:02}-{last:02}h");
        }
        h += len;
    }
    if out.is_empty() {
        "none".to_string()
    } else {
        out + " UTC"
    }
}

/// `(observed, expected)` for one feature.
fn describe(detail: &Detail<'_>) -> (String, String) {
    match *detail {
        Detail::Categorical(r) => {
            let mut observed = match r.top {
                Some((v, c, b)) if b > 0.0 => format!(
                    "{v} ({:.0} of {:.0} events, {} of baseline)",
                    Whole(c),
                    Whole(r.window_total),
                    pct(share(b, r.baseline_total))
                ),
                Some((v, c, _)) if r.top_history > 0 => format!(
                    "{v} ({:.0} of {:.0} events, not in baseline; {} in long history)",
                    Whole(c),
                    Whole(r.window_total),
                    r.top_history
                ),
                Some((v, c, _)) => {
                    format!(
                        "{v} ({:.0} of {:.0} events, never seen)",
                        Whole(c),
                        Whole(r.window_total)
                    )
                }
                None => format!("{:.0} events", Whole(r.window_total)),
            };
            if r.unusual_others > 0 {
                let _ = write!(observed, "; +{} other unusual values", r.unusual_others);
            }
            let expected = match r.baseline_top {
                Some((v, c)) => {
                    let mut e = format!("{v} ({})", pct(share(c, r.baseline_total)));
                    if r.baseline_distinct > 1 {
                        let _ = write!(e, ", +{} other", r.baseline_distinct - 1);
                        if r.baseline_distinct > 2 {
                            e.push('s');
                        }
                    }
                    e
                }
                None => "no history".to_string(),
            };
            let expected = match r.peers {
                Some((group, users, holders, members)) => format!(
                    "{expected}; peers {group}: {users} of {members} do it, \
                     {holders} hold privileges"
                ),
                None => expected,
            };
            (observed, expected)
        }
        Detail::Hour(r) => {
            let observed = match r.top {
                Some((h, c)) => format!(
                    "{h:02}h UTC ({:.0} of {:.0} events)",
                    Whole(c),
                    Whole(r.window_total)
                ),
                None => format!("{:.0} events", Whole(r.window_total)),
            };
            let at = r.top.map_or(0.0, |(h, _)| r.baseline[h]);
            let expected = match r.top {
                Some((h, _)) => format!(
                    "{} of baseline at {h:02}h; usual {}",
                    pct(share(at, r.baseline_total)),
                    active_hours(&r.baseline, r.baseline_total)
                ),
                None => format!("usual {}", active_hours(&r.baseline, r.baseline_total)),
            };
            (observed, expected)
        }
        Detail::Rate(r, window_secs) => (
            format!(
                "{:.0} events in {}",
                Whole(r.observed),
                duration(window_secs)
            ),
            format!(
                "{:.1} +- {:.1} (over {:.0} active hours)",
                r.mean,
                r.sd,
                Whole(r.active_hours)
            ),
        ),
        Detail::Ratio(r, what) => (
            format!(
                "{:.0} of {:.0} {what} ({})",
                Whole(r.window_hits),
                Whole(r.window_total),
                pct(share(r.window_hits, r.window_total))
            ),
            format!(
                "{} ({:.0} of {:.0} in baseline)",
                pct(share(r.baseline_hits, r.baseline_total)),
                Whole(r.baseline_hits),
                Whole(r.baseline_total)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::Whole;

    #[test]
    fn whole_prints_exactly_what_precision_zero_prints() {
        let mut values = vec![
            0.0,
            -0.0,
            0.5,
            1.5,
            2.5,
            -2.5,
            0.49999999999999994,
            1e15,
            1e15 - 1.0,
            -1e15 + 1.0,
            1e300,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ];
        values.extend((0..2000).map(|i| i as f64 * 0.25 - 100.0));
        for v in values {
            assert_eq!(format!("{:.0}", Whole(v)), format!("{v:.0}"), "{v:?}");
        }
    }
}
