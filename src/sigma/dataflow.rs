//! Rules in the dataflow: evaluated by the ingest decoder on each raw record as it is
//! parsed, then split off the events as a collection of alerts.

use super::correlate::SigmaCorrelations;
use super::{Correlation, MatchedEvent, RuleAlert, RuleSet};
use crate::detect::monitor::Monitors;
use crate::event::{AuditEvent, Position, SourceFamily};
use crate::parse::{check_size, parse_record, waf, Format, ParseError, DEFAULT_MAX_RECORD_BYTES};
use differential_dataflow::VecCollection;
use std::sync::Arc;

/// An ingest decoder (see [`crate::pipeline::ingest_events_with`]) that parses each record
/// and evaluates `rules` and, on WAF records, the field `monitors` on its raw bytes. Late
/// events keep their alerts out of the alert stream, like every other detector: they go
/// to the late-event sink. Without `rules`, the raw record is kept for
/// [`super::versions::ApplyRuleVersions`] instead.
pub fn rule_decoder(
    rules: Option<Arc<RuleSet>>,
    monitors: Arc<Monitors>,
) -> impl FnMut(Format, &[u8], &Position) -> Result<MatchedEvent, ParseError> + 'static {
    move |format, raw, position| {
        let indices = |matched: Vec<bool>| -> Vec<usize> {
            matched
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.then_some(i))
                .collect()
        };
        let (event, monitor_hits) = if monitors.0.is_empty() {
            (parse_record(format, raw, position)?, Vec::new())
        } else if format == Format::Waf {
            // One read of the record for both the event and the monitors.
            check_size(raw, DEFAULT_MAX_RECORD_BYTES)?;
            let record = waf::read(raw)?;
            let event = waf::event_of(&record, position)?;
            (event, indices(monitors.matches_record(&record)))
        } else {
            let event = parse_record(format, raw, position)?;
            let hits = if event.source == SourceFamily::Waf {
                // Detected as WAF (format auto): it reads as WAF again.
                indices(monitors.matches(raw)?)
            } else {
                Vec::new()
            };
            (event, hits)
        };
        let ((alerts, hits), raw) = match &rules {
            Some(rules) => (rules.matches(&event, raw), None),
            None => ((Vec::new(), Vec::new()), Some(Arc::from(raw))),
        };
        Ok(MatchedEvent {
            event,
            alerts,
            hits,
            monitor_hits,
            raw,
        })
    }
}

/// The monitor hits of matched events: `(monitor index, client)`, the client being the
/// event's principal (a WAF record's client IP).
pub fn monitor_hits<'s>(
    matched: VecCollection<'s, u64, MatchedEvent, isize>,
) -> VecCollection<'s, u64, (usize, String), isize> {
    matched.flat_map(|m| {
        let client = m.event.principal;
        m.monitor_hits.into_iter().map(move |i| (i, client.clone()))
    })
}

/// Splits events carrying rule alerts into the events and the alerts, evaluating the
/// correlation rules on the way ([`super::correlate::SigmaCorrelations`]).
pub trait SplitRuleAlerts<'s> {
    /// The events (for the other detectors) and every rule alert: detection rules' at their
    /// event's time, correlations' when their condition becomes true.
    fn split_rule_alerts(
        self,
        correlations: Arc<Vec<Correlation>>,
    ) -> (
        VecCollection<'s, u64, AuditEvent, isize>,
        VecCollection<'s, u64, RuleAlert, isize>,
    );
}

impl<'s> SplitRuleAlerts<'s> for VecCollection<'s, u64, MatchedEvent, isize> {
    fn split_rule_alerts(
        self,
        correlations: Arc<Vec<Correlation>>,
    ) -> (
        VecCollection<'s, u64, AuditEvent, isize>,
        VecCollection<'s, u64, RuleAlert, isize>,
    ) {
        let mut alerts = self.clone().flat_map(|m| m.alerts);
        if !correlations.is_empty() {
            let hits = self.clone().flat_map(|m| m.hits);
            alerts = alerts.concat(hits.sigma_correlations(correlations));
        }
        let events = self.map(|m| m.event);
        (events, alerts)
    }
}
