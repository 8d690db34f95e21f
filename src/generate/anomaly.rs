//! Incidents: where anomalies are placed and the events each one injects.
//!
//! Incidents are planned from the seed alone (never from the partition count): incident `i`
//! has kind `AnomalyKind::ALL[i % 6]`, a principal eligible for that kind (not root, not an
//! admin, a human for off-hours key creation, distinct principals while there are enough),
//! and a start on day 2 or later (the second half of the only day when `days == 1`).

use super::catalogue::{self as cat, method_index, Class};
use super::principal::{catalogue, Principal, Role};
use super::rng::Rng;
use super::stream::{delay, fit_in, local_to_utc, record_time, span, Spec, DAY};
use super::{AnomalyKind, GeneratorConfig};
use crate::event::time::NANOS_PER_SEC;
use crate::parse::Format;

/// One planned incident.
#[derive(Clone, Debug)]
pub(crate) struct Incident {
    /// Incident number (`0..config.incidents`).
    pub id: u32,
    /// The kind of anomaly.
    pub kind: AnomalyKind,
    /// The principal index.
    pub principal: u32,
    /// Time of its first event.
    pub start_ns: i64,
    /// Number of events it injects.
    pub size: u32,
}

/// The incident name used in labels.
pub(crate) fn incident_name(id: u32) -> String {
    format!("inc-{id:04}")
}

fn size_of(kind: AnomalyKind, rng: &mut Rng) -> u32 {
    let (lo, hi) = match kind {
        AnomalyKind::OffHoursKeyCreation => (2, 4),
        AnomalyKind::AdminGrant => (2, 4),
        AnomalyKind::DeniedBurst => (20, 60),
        AnomalyKind::NewNetwork => (8, 20),
        AnomalyKind::UserAgentSwitch => (8, 16),
        AnomalyKind::MethodMixShift => (10, 25),
    };
    rng.range(lo, hi) as u32
}

/// Where incidents may start: day 2 onwards, leaving an hour at the end.
fn window(config: &GeneratorConfig) -> (i64, i64) {
    let (start, end) = span(config);
    let lo = if config.days >= 2 {
        start + DAY * NANOS_PER_SEC
    } else {
        start + DAY / 2 * NANOS_PER_SEC
    };
    (lo, (end - 3600 * NANOS_PER_SEC).max(lo + NANOS_PER_SEC))
}

/// A start time for `kind` on `p`, if its habits allow one inside the window.
fn start_time(
    config: &GeneratorConfig,
    kind: AnomalyKind,
    p: &Principal,
    rng: &mut Rng,
) -> Option<i64> {
    let (lo, hi) = window(config);
    let day = 1 + rng.below(config.days.max(1) as u64) as i64;
    let minutes = match (kind, p.role) {
        (AnomalyKind::OffHoursKeyCreation, _) => 120.0 + rng.unit() * 90.0,
        (_, Role::Machine) => rng.unit() * 1440.0,
        _ => p.work_start_min as f64 + 30.0 + rng.unit() * (p.work_len_min as f64 - 90.0),
    };
    let t = local_to_utc(config.start_ns, day, minutes, p.tz_offset_min);
    fit_in(t, lo, hi)
}

fn eligible(kind: AnomalyKind, p: &Principal, strict: bool) -> bool {
    let base = p.role != Role::Root && !p.admin;
    match kind {
        AnomalyKind::OffHoursKeyCreation => base && (p.role == Role::Human || !strict),
        _ => base,
    }
}

/// Plans `config.incidents` incidents over `principals` (all of them, by index).
pub(crate) fn plan(config: &GeneratorConfig, principals: &[Principal]) -> Vec<Incident> {
    let n = principals.len();
    let mut used = vec![false; n];
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    for id in 0..config.incidents {
        let kind = AnomalyKind::ALL[id as usize % AnomalyKind::ALL.len()];
        let mut rng = Rng::new(&[config.seed, 0x696e_6364, id as u64]);
        let first = rng.index(n);
        let mut chosen = None;
        'search: for (strict, fresh) in [(true, true), (true, false), (false, false)] {
            for j in 0..n {
                let p = &principals[(first + j) % n];
                if (fresh && used[p.index as usize]) || !eligible(kind, p, strict) {
                    continue;
                }
                let mut trng = Rng::new(&[config.seed, 0x7469_6d65, id as u64, j as u64]);
                if let Some(t) = start_time(config, kind, p, &mut trng) {
                    chosen = Some((p.index, t));
                    break 'search;
                }
            }
        }
        // When no habit fits the window (one day, no suitable time zone), any eligible
        // principal at any time in the window.
        let chosen = chosen.or_else(|| {
            let (lo, hi) = window(config);
            let p = (0..n)
                .map(|j| &principals[(first + j) % n])
                .find(|p| eligible(kind, p, false))?;
            Some((p.index, lo + rng.below((hi - lo) as u64) as i64))
        });
        let Some((principal, start_ns)) = chosen else {
            continue;
        };
        used[principal as usize] = true;
        out.push(Incident {
            id,
            kind,
            principal,
            start_ns,
            size: size_of(kind, &mut rng),
        });
    }
    out
}

/// Appends the events of incident `inc` to `specs` (sequence numbers continue after them).
pub(crate) fn inject(
    config: &GeneratorConfig,
    p: &Principal,
    inc: &Incident,
    specs: &mut Vec<Spec>,
) {
    let id = inc.id;
    let mut rng = Rng::new(&[config.seed, 0x696e_6a65, id as u64]);
    let methods = catalogue(config.format);
    let gcp = config.format != Format::Cloudtrail;
    let other_family = super::families::anomaly_methods(config.format);
    let by_name =
        |names: &[&str]| -> Vec<u16> { names.iter().map(|n| method_index(methods, n)).collect() };
    let n = inc.size as usize;
    let (_, end) = span(config);
    // Gaps between consecutive events (seconds), methods, and per-event variations.
    let (gap_lo, gap_hi, pool): (f64, f64, Vec<u16>) = match inc.kind {
        AnomalyKind::OffHoursKeyCreation => {
            let names: &[&str] = if let Some((creation, _)) = other_family {
                creation
            } else if gcp {
                &[
                    "google.iam.admin.v1.CreateServiceAccountKey",
                    "google.iam.admin.v1.CreateRole",
                    "google.iam.admin.v1.CreateServiceAccount",
                ]
            } else {
                &["CreateAccessKey", "CreateUser", "CreateRole"]
            };
            (30.0, 300.0, by_name(names))
        }
        AnomalyKind::AdminGrant => {
            let names: &[&str] = if let Some((_, grants)) = other_family {
                grants
            } else if gcp {
                &["SetIamPolicy"]
            } else {
                &["AttachUserPolicy", "PutRolePolicy"]
            };
            (20.0, 180.0, by_name(names))
        }
        AnomalyKind::DeniedBurst => {
            let mut pool: Vec<u16> = (0..methods.len() as u16)
                .filter(|&i| {
                    matches!(
                        methods[i as usize].class,
                        Class::Privileged | Class::Sensitive
                    )
                })
                .collect();
            pool.extend(&p.methods);
            (1.0, 5.0, pool)
        }
        AnomalyKind::NewNetwork | AnomalyKind::UserAgentSwitch => (20.0, 150.0, p.methods.clone()),
        AnomalyKind::MethodMixShift => {
            let unused = |c: Class| -> Vec<u16> {
                (0..methods.len() as u16)
                    .filter(|i| methods[*i as usize].class == c && !p.methods.contains(i))
                    .collect()
            };
            let mut pool = unused(Class::Sensitive);
            if pool.len() < 3 {
                pool.extend(unused(Class::Read));
            }
            (15.0, 90.0, pool)
        }
    };
    let pool = if pool.is_empty() {
        p.methods.clone()
    } else {
        pool
    };
    let new_ip = {
        let (a, b) = *rng.pick(&cat::FOREIGN_PREFIXES);
        (a as u32) << 24
            | (b as u32) << 16
            | (rng.below(256) as u32) << 8
            | rng.range(2, 250) as u32
    };
    let mut agents: Vec<&'static str> = cat::ODD_AGENTS.to_vec();
    rng.shuffle(&mut agents);
    agents.truncate(rng.range(4, 6) as usize);
    let mut t = inc.start_ns as f64;
    let seq0 = specs.len() as u32;
    for k in 0..n {
        let method = if inc.kind == AnomalyKind::OffHoursKeyCreation && k == 0 {
            pool[0]
        } else if inc.kind == AnomalyKind::AdminGrant && !gcp {
            pool[k % pool.len()]
        } else {
            *rng.pick(&pool)
        };
        let ip = match inc.kind {
            AnomalyKind::NewNetwork => new_ip,
            _ => p.ips[0],
        };
        let agent = match inc.kind {
            AnomalyKind::UserAgentSwitch => agents[k % agents.len()],
            _ => p.agents[0],
        };
        let status = if inc.kind == AnomalyKind::DeniedBurst {
            7
        } else {
            0
        };
        let flavor = u8::from(inc.kind == AnomalyKind::AdminGrant);
        let time_ns = record_time(config.format, (t as i64).min(end - 1));
        specs.push(Spec {
            time_ns,
            arrival_ns: time_ns + delay(&mut rng),
            seq: seq0 + k as u32,
            method,
            status,
            flavor,
            ip,
            agent,
            incident: id,
        });
        t += (gap_lo + rng.unit() * (gap_hi - gap_lo)) * 1e9;
    }
}
