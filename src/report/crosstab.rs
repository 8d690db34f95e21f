//! The per-day crosstab: for one UTC day, event counts per row (principal and action by
//! default) and hour of day, in sections an administrator reads separately.
//!
//! This is the view Confluent Cloud admins build from their audit logs (authorization
//! decisions, sign-in failures and successes, all events per hour), made for every log
//! family AuditFlow reads. The counts are computed by the dataflow
//! ([`crate::operators::HourlyCrosstab`]); [`Crosstab::from_events`] is the plain reference
//! computation the tests compare it with.

use crate::event::{AuditEvent, Outcome};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A section of the report: which events it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Section {
    /// Authorization checks (`mds.Authorize` and kin) and every denied call, with the
    /// decision (`granted` or `denied`) as an extra column.
    AuthorizationDecisions,
    /// Sign-ins (console logins, `SignIn`, Kafka authentication, `USER_LOGIN`, ...) that
    /// failed or were denied.
    SignInFailures,
    /// Sign-ins that succeeded.
    SignInSuccesses,
    /// Every event of the day.
    AllEvents,
}

impl Section {
    /// All sections, in report order.
    pub const ALL: [Section; 4] = [
        Section::AuthorizationDecisions,
        Section::SignInFailures,
        Section::SignInSuccesses,
        Section::AllEvents,
    ];

    /// The section's title.
    pub fn title(self) -> &'static str {
        match self {
            Section::AuthorizationDecisions => "authorization decisions",
            Section::SignInFailures => "sign-in failures",
            Section::SignInSuccesses => "sign-in successes",
            Section::AllEvents => "all events per hour",
        }
    }

    /// The name in CSV output.
    pub fn key(self) -> &'static str {
        match self {
            Section::AuthorizationDecisions => "authorization",
            Section::SignInFailures => "signin_failure",
            Section::SignInSuccesses => "signin_success",
            Section::AllEvents => "all",
        }
    }

    /// Whether rows of this section carry a decision column.
    pub fn has_decision(self) -> bool {
        self == Section::AuthorizationDecisions
    }
}

/// A field that can label the report's rows (`--by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RowField {
    /// The principal.
    Principal,
    /// The principal's type.
    PrincipalType,
    /// The action.
    Action,
    /// The service.
    Service,
    /// The resource.
    Resource,
    /// The source IP.
    SourceIp,
    /// The user agent.
    UserAgent,
    /// The outcome.
    Outcome,
    /// The log family.
    Source,
}

impl RowField {
    /// Every field, for error messages.
    pub const NAMES: &'static str =
        "principal, principal_type, action, service, resource, source_ip, user_agent, outcome, source";

    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            RowField::Principal => "principal",
            RowField::PrincipalType => "principal_type",
            RowField::Action => "action",
            RowField::Service => "service",
            RowField::Resource => "resource",
            RowField::SourceIp => "source_ip",
            RowField::UserAgent => "user_agent",
            RowField::Outcome => "outcome",
            RowField::Source => "source",
        }
    }

    /// Parses `--by`: comma-separated field names.
    pub fn parse_list(text: &str) -> Result<Vec<RowField>> {
        let fields: Vec<RowField> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| {
                [
                    RowField::Principal,
                    RowField::PrincipalType,
                    RowField::Action,
                    RowField::Service,
                    RowField::Resource,
                    RowField::SourceIp,
                    RowField::UserAgent,
                    RowField::Outcome,
                    RowField::Source,
                ]
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    Error::invalid(
                        "--by",
                        format!("unknown field {name:?}; choose from {}", Self::NAMES),
                    )
                })
            })
            .collect::<Result<_>>()?;
        if fields.is_empty() {
            return Err(Error::invalid(
                "--by",
                format!("name at least one field: {}", Self::NAMES),
            ));
        }
        Ok(fields)
    }

    fn value(self, event: &AuditEvent) -> String {
        match self {
            RowField::Principal => event.principal.clone(),
            RowField::PrincipalType => event.principal_type.as_str().to_string(),
            RowField::Action => event.action.clone(),
            RowField::Service => event.service.clone(),
            RowField::Resource => event.resource.clone(),
            RowField::SourceIp => event.source_ip.clone(),
            RowField::UserAgent => event.user_agent.clone(),
            RowField::Outcome => event.outcome.as_str().to_string(),
            RowField::Source => event.source.as_str().to_string(),
        }
    }
}

/// One counted cell: a section's row in an hour of the day. Events outside the day count
/// under `hour = None` with their own date as the row (so the report can say what it left
/// out, and where the input's days are).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cell {
    /// The section.
    pub section: Section,
    /// The row's labels: the `--by` fields, then the decision in the authorization section.
    pub row: Vec<String>,
    /// Hour of the day (0-23, UTC), or `None` for an event outside the day.
    pub hour: Option<u8>,
}

/// The last segment of an action name, lowercased: `mds.Authorize` -> `authorize`,
/// `google.login.LoginService.loginFailure` -> `loginfailure`, `USER_LOGIN` -> `user_login`.
fn action_verb(action: &str) -> String {
    let first = action.split_whitespace().next().unwrap_or("");
    first
        .rsplit(['.', '/', ':'])
        .next()
        .unwrap_or(first)
        .to_ascii_lowercase()
}

/// Whether an action is a sign-in (authentication) event.
pub fn is_sign_in(action: &str) -> bool {
    matches!(
        action_verb(action).as_str(),
        "consolelogin"
            | "signin"
            | "login"
            | "loginsuccess"
            | "loginfailure"
            | "authentication"
            | "authenticate"
            | "user_login"
            | "user_auth"
            | "user_err"
            | "assumerolewithsaml"
            | "assumerolewithwebidentity"
            | "checkmfa"
    )
}

/// Whether an action is an explicit authorization check.
pub fn is_authorization_check(action: &str) -> bool {
    matches!(
        action_verb(action).as_str(),
        "authorize" | "authorization" | "checkpermission" | "testiampermissions"
    )
}

/// The cells one event counts in, for the UTC day starting at `day_start_ns`.
pub fn cells_of(event: &AuditEvent, day_start_ns: i64, by: &[RowField]) -> Vec<Cell> {
    const HOUR_NS: i64 = 3_600_000_000_000;
    let offset = event.time_ns - day_start_ns;
    if !(0..24 * HOUR_NS).contains(&offset) {
        let (y, m, d) = crate::event::time::civil_from_days(event.time_ns.div_euclid(24 * HOUR_NS));
        return vec![Cell {
            section: Section::AllEvents,
            row: vec![format!("{y:04}-{m:02}-{d:02}")],
            hour: None,
        }];
    }
    let hour = Some((offset / HOUR_NS) as u8);
    let row: Vec<String> = by.iter().map(|f| f.value(event)).collect();
    let mut cells = Vec::with_capacity(2);
    if event.outcome == Outcome::Denied || is_authorization_check(&event.action) {
        let decision = if event.outcome == Outcome::Denied {
            "denied"
        } else {
            "granted"
        };
        let mut row = row.clone();
        row.push(decision.to_string());
        cells.push(Cell {
            section: Section::AuthorizationDecisions,
            row,
            hour,
        });
    }
    if is_sign_in(&event.action) {
        let section = if event.outcome == Outcome::Success {
            Section::SignInSuccesses
        } else {
            Section::SignInFailures
        };
        cells.push(Cell {
            section,
            row: row.clone(),
            hour,
        });
    }
    cells.push(Cell {
        section: Section::AllEvents,
        row,
        hour,
    });
    cells
}

/// A finished crosstab for one day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crosstab {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The row fields.
    pub by: Vec<RowField>,
    /// Per section, per row, the count in each hour of the day.
    pub sections: BTreeMap<Section, BTreeMap<Vec<String>, [u64; 24]>>,
    /// Events read that fall on other days, per day (`YYYY-MM-DD`).
    pub other_days: BTreeMap<String, u64>,
}

impl Crosstab {
    /// An empty crosstab for `day` (`YYYY-MM-DD`).
    pub fn new(day: &str, by: Vec<RowField>) -> Self {
        Crosstab {
            day: day.to_string(),
            by,
            ..Default::default()
        }
    }

    /// Adds `count` to a cell.
    pub fn add(&mut self, cell: &Cell, count: u64) {
        match cell.hour {
            None => {
                let day = cell.row.first().cloned().unwrap_or_default();
                *self.other_days.entry(day).or_default() += count;
            }
            Some(hour) => {
                self.sections
                    .entry(cell.section)
                    .or_default()
                    .entry(cell.row.clone())
                    .or_insert([0; 24])[usize::from(hour)] += count;
            }
        }
    }

    /// Events on other days, in all.
    pub fn outside_day(&self) -> u64 {
        self.other_days.values().sum()
    }

    /// The reference computation: the crosstab of `events` by a plain loop.
    pub fn from_events<'a>(
        events: impl IntoIterator<Item = &'a AuditEvent>,
        day: &str,
        by: &[RowField],
    ) -> Result<Self> {
        let start = day_start_ns(day)?;
        let mut crosstab = Crosstab::new(day, by.to_vec());
        for event in events {
            for cell in cells_of(event, start, by) {
                crosstab.add(&cell, 1);
            }
        }
        Ok(crosstab)
    }
}

/// The first nanosecond of a UTC day given as `YYYY-MM-DD`.
pub fn day_start_ns(day: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(
            "--day",
            format!("{day:?} is not a date; write it as YYYY-MM-DD (UTC)"),
        )
    };
    let parts: Vec<&str> = day.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if parts[0].len() != 4 || !(1..=12).contains(&m) || d < 1 || d > days_in_month[(m - 1) as usize]
    {
        return Err(bad());
    }
    Ok(crate::event::time::days_from_civil(y, m, d) * 86_400_000_000_000)
}
