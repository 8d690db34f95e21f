//! `sigma_correlations`: Sigma correlation rules evaluated over sliding windows.

use super::alert::{severity_of_level, SIGMA_DETECTOR};
use super::correlation::{Correlation, CorrelationHit, CorrelationKind};
use super::RuleAlert;
use crate::detect::alert::content_id;
use crate::event::time::format_rfc3339_secs;
use crate::event::{PrincipalType, SourceFamily};
use differential_dataflow::{AsCollection, VecCollection};
use std::collections::BTreeMap;
use std::sync::Arc;
use timely::dataflow::operators::vec::{Filter, Map};

/// Evaluates correlation rules on their base rules' hits: each hit stays in its
/// correlation's window for `timespan`; one `reduce` per (correlation, family, group) measures
/// the window (events for `event_count`, distinct values for `value_count` and `temporal`)
/// and holds a marker while the condition is true. An alert is raised when the marker
/// appears, at the dataflow time the condition became true, so a burst that stays above
/// the threshold is one alert, and a new one needs the condition to lapse first.
pub trait SigmaCorrelations<'s> {
    /// The correlation alerts.
    fn sigma_correlations(
        self,
        correlations: Arc<Vec<Correlation>>,
    ) -> VecCollection<'s, u64, RuleAlert, isize>;
}

impl<'s> SigmaCorrelations<'s> for VecCollection<'s, u64, CorrelationHit, isize> {
    fn sigma_correlations(
        self,
        correlations: Arc<Vec<Correlation>>,
    ) -> VecCollection<'s, u64, RuleAlert, isize> {
        let spans = correlations.clone();
        let measure = correlations.clone();
        self.inner
            .flat_map(move |(hit, time, diff)| {
                let width = spans[hit.correlation].timespan_secs;
                [(hit.clone(), time, diff), (hit, time + width, -diff)]
            })
            .as_collection()
            .map(|hit| ((hit.correlation, hit.family, hit.group), hit.value))
            .reduce_named("SigmaCorrelations", move |key, values, output| {
                let correlation = &measure[key.0];
                let events: isize = values.iter().map(|(_, n)| *n).sum();
                let count = match correlation.kind {
                    CorrelationKind::EventCount => events.max(0) as u64,
                    _ => values.iter().filter(|(_, n)| *n > 0).count() as u64,
                };
                if events > 0 && correlation.threshold.holds(count) {
                    output.push(((), 1));
                }
            })
            .inner
            .filter(|(_, _, diff)| *diff > 0)
            .map(move |(((index, family, group), ()), time, diff)| {
                (
                    alert(&correlations[index], family, &group, time),
                    time,
                    diff,
                )
            })
            .as_collection()
    }
}

/// The alert of `correlation` for `group`, its condition true from `time` (seconds).
pub fn alert(
    correlation: &Correlation,
    family: SourceFamily,
    group: &[String],
    time: u64,
) -> RuleAlert {
    let time = format_rfc3339_secs(time as i64);
    let mut fields: BTreeMap<String, String> = correlation
        .group_by
        .iter()
        .cloned()
        .zip(group.iter().cloned())
        .collect();
    fields.insert(
        "condition".into(),
        format!(
            "{} {} within {}s",
            correlation.kind_name, correlation.threshold, correlation.timespan_secs
        ),
    );
    let group_text = group.join(", ");
    RuleAlert {
        id: content_id(&[
            SIGMA_DETECTOR,
            &correlation.id,
            family.as_str(),
            &group_text,
            &time,
        ]),
        revision: 0,
        count: 1,
        first_time: time.clone(),
        last_time: time.clone(),
        time,
        detector: SIGMA_DETECTOR.to_string(),
        rule_id: correlation.id.clone(),
        rule_title: correlation.title.clone(),
        level: correlation.level.clone(),
        severity: severity_of_level(&correlation.level).to_string(),
        tags: correlation.tags.clone(),
        principal: group_text,
        principal_type: PrincipalType::Unknown,
        action: format!("correlation {}", correlation.kind_name),
        source: family,
        event_id: String::new(),
        position: String::new(),
        selections: correlation.rules.clone(),
        fields,
    }
}
