//! Synthetic audit logs with labelled anomalies, for tests and benchmarks.
//!
//! Principals (people and workloads) each have habits drawn from the seed and their index:
//! time zone and working hours, a usual mix of methods over a few services, home networks
//! and user agents. Their events spread over `days` days; `incidents` anomalies (of the six
//! [`AnomalyKind`]s) are injected on day 2 or later and labelled. Records are GCP Cloud
//! Audit Log entries, CloudTrail records, Confluent Cloud audit records, AWS WAF log records
//! or auditd events (several `audit.log` lines each: sudo, user creation and failed logins
//! stand for credential creation, admin grants and denied bursts).
//!
//! The stream of principal `p` depends only on the configuration (seed, counts, days, start)
//! and on `p`, never on `partitions`: [`partition`] yields principals `p % partitions ==
//! partition` and [`all`] every one, both merged in arrival order, so any partitioning gives
//! the same records.

mod anomaly;
mod auditd;
mod catalogue;
mod cloudtrail;
mod confluent;
mod families;
mod gcp;
mod json;
mod principal;
mod rng;
mod stream;
mod waf;

use crate::event::time::format_rfc3339;
use crate::parse::Format;
use crate::{Error, Result};
use principal::Principal;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use stream::Spec;

/// 2026-11-02T00:00:00Z (a Monday), the default start of generated event time.
pub const DEFAULT_START_NS: i64 = 1_793_577_600_000_000_000;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// Record family: [`Format::Gcp`], [`Format::Cloudtrail`], [`Format::Auditd`],
    /// [`Format::Confluent`] or [`Format::Waf`] (`Auto` means GCP).
    pub format: Format,
    /// Exact number of records.
    pub events: u64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Days of event time (at least 1).
    pub days: u32,
    /// Number of principals.
    pub principals: u32,
    /// Number of injected incidents.
    pub incidents: u32,
    /// Start of event time, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Number of partitions [`partition`] splits principals into (not part of the data).
    pub partitions: u32,
}

impl GeneratorConfig {
    /// Defaults: 3 days, `clamp(events / 200, 10, 5000)` principals, `max(principals / 25,
    /// 3)` incidents, start [`DEFAULT_START_NS`], 16 partitions.
    pub fn new(format: Format, events: u64, seed: u64) -> Self {
        let principals = (events / 200).clamp(10, 5000) as u32;
        GeneratorConfig {
            format,
            events,
            seed,
            days: 3,
            principals,
            incidents: (principals / 25).max(3),
            start_ns: DEFAULT_START_NS,
            partitions: 16,
        }
    }
}

/// The kinds of injected anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AnomalyKind {
    /// Credential or role creation at 2-4 am local time by someone who never does it.
    OffHoursKeyCreation,
    /// A grant of owner / administrator rights.
    AdminGrant,
    /// A burst of 20-60 calls denied within minutes.
    DeniedBurst,
    /// A session from a network and country never seen for the principal.
    NewNetwork,
    /// The principal alternating four or more unusual user agents within minutes.
    UserAgentSwitch,
    /// A sudden run of methods the principal never uses (secrets, buckets, keys).
    MethodMixShift,
}

impl AnomalyKind {
    /// Every kind, in the order incidents cycle through them.
    pub const ALL: [AnomalyKind; 6] = [
        AnomalyKind::OffHoursKeyCreation,
        AnomalyKind::AdminGrant,
        AnomalyKind::DeniedBurst,
        AnomalyKind::NewNetwork,
        AnomalyKind::UserAgentSwitch,
        AnomalyKind::MethodMixShift,
    ];

    /// The snake_case name used in label files.
    pub fn as_str(self) -> &'static str {
        match self {
            AnomalyKind::OffHoursKeyCreation => "off_hours_key_creation",
            AnomalyKind::AdminGrant => "admin_grant",
            AnomalyKind::DeniedBurst => "denied_burst",
            AnomalyKind::NewNetwork => "new_network",
            AnomalyKind::UserAgentSwitch => "user_agent_switch",
            AnomalyKind::MethodMixShift => "method_mix_shift",
        }
    }
}

impl fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AnomalyKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        AnomalyKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::invalid("anomaly kind", format!("unknown anomaly kind {s:?}")))
    }
}

/// The ground truth of one injected event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The record's id (`insertId` or `eventID`).
    pub event_id: String,
    /// The kind of anomaly.
    pub kind: AnomalyKind,
    /// The incident it belongs to (`inc-0003`).
    pub incident: String,
    /// The principal, as in [`GeneratedRecord::principal`].
    pub principal: String,
    /// Event time, nanoseconds since the epoch.
    pub time_ns: i64,
}

/// One generated record.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GeneratedRecord {
    /// The event time written in the record.
    pub time_ns: i64,
    /// When the record arrives: event time plus a delivery delay of 0-30 s.
    pub arrival_ns: i64,
    /// The principal (GCP email, IAM user name, `role/session`, or `root`).
    pub principal: String,
    /// One JSON object (auditd: the event's lines joined by `\n`), no trailing newline.
    pub raw: Vec<u8>,
    /// Set for injected (anomalous) events.
    pub label: Option<Label>,
}

/// What [`write_files`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    /// Records written.
    pub events: u64,
    /// Bytes written to the record file.
    pub bytes: u64,
    /// Labelled (injected) records.
    pub labelled: u64,
    /// Incidents actually injected.
    pub incidents: u32,
    /// Principals.
    pub principals: u32,
}

/// Everything shared by the principals' streams, computed from the config alone.
struct Plan {
    config: GeneratorConfig,
    principals: Vec<Principal>,
    incidents: Vec<anomaly::Incident>,
    normal: Vec<u64>,
}

impl Plan {
    fn new(config: &GeneratorConfig) -> Plan {
        let n = config.principals;
        let principals: Vec<Principal> = (0..n)
            .map(|i| Principal::build(config.format, config.seed, i))
            .collect();
        let mut incidents = anomaly::plan(config, &principals);
        // Incidents count toward `events`: keep those that fit, leaving most to normal traffic.
        let mut budget = config.events / 2;
        incidents.retain(|inc| {
            let fits = inc.size as u64 <= budget;
            if fits {
                budget -= inc.size as u64;
            }
            fits
        });
        let injected: u64 = incidents.iter().map(|i| i.size as u64).sum();
        let weights: Vec<f64> = principals.iter().map(|p| p.activity).collect();
        let normal = stream::allocate(config.events - injected, &weights);
        Plan {
            config: config.clone(),
            principals,
            incidents,
            normal,
        }
    }

    fn stream(&self, p: u32) -> Vec<Spec> {
        let mine: Vec<&anomaly::Incident> =
            self.incidents.iter().filter(|i| i.principal == p).collect();
        stream::build(
            &self.config,
            &self.principals[p as usize],
            self.normal[p as usize],
            &mine,
        )
    }

    fn render(&self, p: u32, s: &Spec) -> GeneratedRecord {
        let principal = &self.principals[p as usize];
        let method = &principal::catalogue(self.config.format)[s.method as usize];
        let bits = json::id_bits(self.config.seed, p, s.seq);
        let mut raw = Vec::with_capacity(1400);
        let event_id = match self.config.format {
            Format::Cloudtrail => {
                cloudtrail::render(principal, s, method, bits, &mut raw);
                json::uuid(bits)
            }
            Format::Auditd | Format::Confluent | Format::Waf => {
                families::render(self.config.format, principal, s, method, bits, &mut raw)
            }
            _ => {
                gcp::render(principal, s, method, bits, &mut raw);
                json::insert_id(bits)
            }
        };
        let label = (s.incident != stream::NO_INCIDENT).then(|| {
            let inc = self
                .incidents
                .iter()
                .find(|i| i.id == s.incident)
                .expect("planned incident");
            Label {
                event_id,
                kind: inc.kind,
                incident: anomaly::incident_name(inc.id),
                principal: principal.name.clone(),
                time_ns: s.time_ns,
            }
        });
        GeneratedRecord {
            time_ns: s.time_ns,
            arrival_ns: s.arrival_ns,
            principal: principal.name.clone(),
            raw,
            label,
        }
    }
}

/// Merges principals' streams in (arrival, principal, seq) order.
struct Merge {
    plan: Arc<Plan>,
    streams: Vec<(u32, Vec<Spec>)>,
    next: Vec<usize>,
    heap: BinaryHeap<Reverse<(i64, u32, u32, usize)>>,
}

impl Merge {
    fn new(plan: Arc<Plan>, keep: impl Fn(u32) -> bool) -> Merge {
        let streams: Vec<(u32, Vec<Spec>)> = (0..plan.config.principals)
            .filter(|&p| keep(p))
            .map(|p| (p, plan.stream(p)))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        let heap = streams
            .iter()
            .enumerate()
            .map(|(k, (p, s))| Reverse((s[0].arrival_ns, *p, s[0].seq, k)))
            .collect();
        Merge {
            plan,
            next: vec![0; streams.len()],
            streams,
            heap,
        }
    }
}

impl Iterator for Merge {
    type Item = GeneratedRecord;

    fn next(&mut self) -> Option<GeneratedRecord> {
        let Reverse((_, p, _, k)) = self.heap.pop()?;
        let specs = &self.streams[k].1;
        let i = self.next[k];
        self.next[k] += 1;
        if let Some(s) = specs.get(i + 1) {
            self.heap.push(Reverse((s.arrival_ns, p, s.seq, k)));
        }
        Some(self.plan.render(p, &specs[i]))
    }
}

/// The records of principals `p` with `p % config.partitions == partition`, in arrival order
/// (ties broken by principal, then sequence). Empty when `partition >= partitions`.
pub fn partition(
    config: &GeneratorConfig,
    partition: u32,
) -> impl Iterator<Item = GeneratedRecord> {
    let parts = config.partitions.max(1);
    Merge::new(Arc::new(Plan::new(config)), move |p| p % parts == partition)
}

/// Every record, in arrival order (ties broken by principal, then sequence): the same records
/// as the union of all partitions.
pub fn all(config: &GeneratorConfig) -> impl Iterator<Item = GeneratedRecord> {
    Merge::new(Arc::new(Plan::new(config)), |_| true)
}

/// Writes every record as JSON lines to `out` and, when asked, the labels as TSV
/// (`event_id\tkind\tincident\tprincipal\ttime`, time in RFC 3339) to `labels`.
pub fn write_files(
    config: &GeneratorConfig,
    out: &Path,
    labels: Option<&Path>,
) -> Result<GenerateSummary> {
    let create = |path: &Path| {
        std::fs::File::create(path)
            .map(|f| BufWriter::with_capacity(1 << 20, f))
            .map_err(|e| Error::io("cannot create", path, e))
    };
    // `-` is stdout, so `generate --out - | head` ends quietly (see crate::sink::stdout).
    let mut records: Box<dyn Write> = match out.to_str() {
        Some("-") => Box::new(BufWriter::new(crate::sink::stdout())),
        _ => Box::new(create(out)?),
    };
    let mut label_file = match labels {
        Some(path) => {
            let mut w = create(path)?;
            w.write_all(b"event_id\tkind\tincident\tprincipal\ttime\n")
                .map_err(|e| Error::io("cannot write", path, e))?;
            Some((w, path))
        }
        None => None,
    };
    let plan = Arc::new(Plan::new(config));
    let mut summary = GenerateSummary {
        principals: config.principals,
        incidents: plan.incidents.len() as u32,
        ..GenerateSummary::default()
    };
    for record in Merge::new(plan, |_| true) {
        records
            .write_all(&record.raw)
            .and_then(|_| records.write_all(b"\n"))
            .map_err(|e| Error::io("cannot write", out, e))?;
        summary.events += 1;
        summary.bytes += record.raw.len() as u64 + 1;
        if let (Some(label), Some((w, path))) = (&record.label, label_file.as_mut()) {
            let line = format!(
                "{}\t{}\t{}\t{}\t{}\n",
                label.event_id,
                label.kind,
                label.incident,
                label.principal,
                format_rfc3339(label.time_ns)
            );
            w.write_all(line.as_bytes())
                .map_err(|e| Error::io("cannot write", *path, e))?;
        }
        summary.labelled += u64::from(record.label.is_some());
    }
    records
        .flush()
        .map_err(|e| Error::io("cannot write", out, e))?;
    if let Some((mut w, path)) = label_file {
        w.flush().map_err(|e| Error::io("cannot write", path, e))?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests;
