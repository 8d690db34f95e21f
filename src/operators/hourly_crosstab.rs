//! `hourly_crosstab`: counts of events per report section, row and hour of one day.

use crate::event::AuditEvent;
use crate::report::crosstab::{cells_of, Cell, RowField};
use differential_dataflow::operators::CountTotal;
use differential_dataflow::VecCollection;

/// Counts a collection of events into crosstab [`Cell`]s for the UTC day starting at
/// `day_start_ns`: per section, per row of `by` fields, per hour of the day; events outside
/// the day count in cells with `hour = None`.
///
/// The counts are maintained incrementally (`count_total`), so a late event revises its
/// cell; the result is `(cell, count)` pairs, with the usual differential retractions of
/// superseded counts.
pub trait HourlyCrosstab<'s> {
    /// The `(cell, count)` collection.
    fn hourly_crosstab(
        self,
        day_start_ns: i64,
        by: Vec<RowField>,
    ) -> VecCollection<'s, u64, (Cell, u64), isize>;
}

impl<'s> HourlyCrosstab<'s> for VecCollection<'s, u64, AuditEvent, isize> {
    fn hourly_crosstab(
        self,
        day_start_ns: i64,
        by: Vec<RowField>,
    ) -> VecCollection<'s, u64, (Cell, u64), isize> {
        self.flat_map(move |event| cells_of(&event, day_start_ns, &by))
            .count_total()
            .map(|(cell, count)| (cell, count.max(0) as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Outcome, Position, PrincipalType, SourceFamily};
    use crate::operators::CollectOrdered;
    use crate::report::crosstab::{day_start_ns, Crosstab, Section};
    use differential_dataflow::AsCollection;
    use std::sync::{Arc, Mutex};
    use timely::dataflow::operators::vec::ToStream;

    fn event(hour: i64, principal: &str, action: &str, outcome: Outcome) -> AuditEvent {
        AuditEvent {
            time_ns: day_start_ns("2026-01-02").unwrap() + hour * 3_600_000_000_000 + 5,
            source: SourceFamily::Gcp,
            principal: principal.into(),
            principal_type: PrincipalType::User,
            action: action.into(),
            service: "s".into(),
            resource: String::new(),
            source_ip: "10.0.0.1".into(),
            user_agent: "ua".into(),
            outcome,
            error_code: None,
            event_id: format!("{principal}{hour}{action}"),
            position: Position::line("t".into(), 0, 1),
        }
    }

    #[test]
    fn counts_each_section_and_revises_with_later_events() {
        let events = vec![
            event(3, "a", "mds.Authorize", Outcome::Success),
            event(3, "a", "mds.Authorize", Outcome::Denied),
            event(4, "b", "SignIn", Outcome::Failure),
            event(4, "b", "SignIn", Outcome::Failure),
            event(-30, "b", "SignIn", Outcome::Success),
        ];
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = seen.clone();
        let input = events.clone();
        timely::example(move |scope| {
            input
                .into_iter()
                .enumerate()
                .map(|(i, e)| (e, i as u64, 1isize))
                .to_stream(scope)
                .as_collection()
                .hourly_crosstab(
                    day_start_ns("2026-01-02").unwrap(),
                    vec![RowField::Principal],
                )
                .collect_ordered("Test", move |_time, changes| {
                    sink.lock().unwrap().extend(changes);
                });
        });
        // Apply the changes: what remains is the final count of every cell.
        let mut finals = std::collections::BTreeMap::new();
        for ((cell, count), diff) in seen.lock().unwrap().iter() {
            *finals.entry((cell.clone(), *count)).or_insert(0isize) += diff;
        }
        let mut dataflow = Crosstab::new("2026-01-02", vec![RowField::Principal]);
        for ((cell, count), diff) in finals {
            assert!(diff == 0 || diff == 1, "one live count per cell");
            if diff == 1 {
                dataflow.add(&cell, count);
            }
        }
        let reference = Crosstab::from_events(&events, "2026-01-02", &[RowField::Principal]);
        assert_eq!(dataflow, reference.unwrap());
        assert_eq!(dataflow.outside_day(), 1);
        let failures = &dataflow.sections[&Section::SignInFailures];
        assert_eq!(failures[&vec!["b".to_string()]][4], 2);
        let authz = &dataflow.sections[&Section::AuthorizationDecisions];
        assert_eq!(authz[&vec!["a".to_string(), "denied".to_string()]][3], 1);
        assert_eq!(authz[&vec!["a".to_string(), "granted".to_string()]][3], 1);
    }
}
