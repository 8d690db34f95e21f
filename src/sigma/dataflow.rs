//! Rules in the dataflow: evaluated by the ingest decoder on each raw record as it is
//! parsed, then split off the events as a collection of alerts.

use super::{MatchedEvent, RuleAlert, RuleSet};
use crate::event::{AuditEvent, Position};
use crate::parse::{parse_record, Format, ParseError};
use differential_dataflow::VecCollection;
use std::sync::Arc;

/// An ingest decoder (see [`crate::pipeline::ingest_events_with`]) that parses each record
/// and evaluates `rules` on its raw bytes. Late events keep their alerts out of the alert
/// stream, like every other detector: they go to the late-event sink.
pub fn rule_decoder(
    rules: Arc<RuleSet>,
) -> impl FnMut(Format, &[u8], &Position) -> Result<MatchedEvent, ParseError> + 'static {
    move |format, raw, position| {
        let event = parse_record(format, raw, position)?;
        let alerts = rules.alerts(&event, raw);
        Ok(MatchedEvent { event, alerts })
    }
}

/// Splits events carrying rule alerts into the events and the alerts.
pub trait SplitRuleAlerts<'s> {
    /// The events (for the other detectors) and every rule alert, each at its event's time.
    fn split_rule_alerts(
        self,
    ) -> (
        VecCollection<'s, u64, AuditEvent, isize>,
        VecCollection<'s, u64, RuleAlert, isize>,
    );
}

impl<'s> SplitRuleAlerts<'s> for VecCollection<'s, u64, MatchedEvent, isize> {
    fn split_rule_alerts(
        self,
    ) -> (
        VecCollection<'s, u64, AuditEvent, isize>,
        VecCollection<'s, u64, RuleAlert, isize>,
    ) {
        let alerts = self.clone().flat_map(|m| m.alerts);
        let events = self.map(|m| m.event);
        (events, alerts)
    }
}
