//! The event stream of one principal: normal activity following its habits plus the
//! events of its incidents, in arrival order.

use super::anomaly::{self, Incident};
use super::principal::{Principal, Role};
use super::rng::Rng;
use super::GeneratorConfig;
use crate::event::time::NANOS_PER_SEC;
use crate::parse::Format;

/// No incident.
pub(crate) const NO_INCIDENT: u32 = u32::MAX;

/// One event before rendering.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// Event time written in the record.
    pub time_ns: i64,
    /// Arrival time (event time plus delivery delay).
    pub arrival_ns: i64,
    /// Sequence number within the principal (unique, source of the event id).
    pub seq: u32,
    /// Catalogue index of the method.
    pub method: u16,
    /// Status: 0 success, else a google.rpc code (7 permission denied, 5, 3, 9).
    pub status: u8,
    /// Rendering variant: 0 normal, 1 privilege escalation payload.
    pub flavor: u8,
    /// Source address.
    pub ip: u32,
    /// User agent.
    pub agent: &'static str,
    /// Index of the incident this event belongs to, or [`NO_INCIDENT`].
    pub incident: u32,
}

/// Seconds in a day.
pub(crate) const DAY: i64 = 86_400;

/// Start and end (exclusive) of the generated span, nanoseconds.
pub(crate) fn span(config: &GeneratorConfig) -> (i64, i64) {
    let days = config.days.max(1) as i64;
    (
        config.start_ns,
        config.start_ns + days * DAY * NANOS_PER_SEC,
    )
}

/// Day of week of a day count since the epoch, 0 = Monday.
pub(crate) fn weekday(days_since_epoch: i64) -> i64 {
    (days_since_epoch + 3).rem_euclid(7)
}

/// Moves `t` by whole days until it lies in `[lo, hi)`, keeping its time of day; `None` when
/// no day fits.
pub(crate) fn fit_in(t: i64, lo: i64, hi: i64) -> Option<i64> {
    let day = DAY * NANOS_PER_SEC;
    let mut t = t;
    if t < lo {
        t += (lo - t + day - 1) / day * day;
    }
    if t >= hi {
        t -= (t - hi) / day * day + day;
    }
    (lo..hi).contains(&t).then_some(t)
}

/// A local time of day (minutes, may exceed a day) on local day `day` (relative to the
/// span start) converted to UTC nanoseconds.
pub(crate) fn local_to_utc(start_ns: i64, day: i64, minutes: f64, tz_offset_min: i32) -> i64 {
    start_ns + day * DAY * NANOS_PER_SEC + ((minutes - tz_offset_min as f64) * 60e9) as i64
}

/// Delivery delay: mostly under 2 s, about 1 % between 2 and 30 s.
pub(crate) fn delay(rng: &mut Rng) -> i64 {
    if rng.chance(0.01) {
        2 * NANOS_PER_SEC + rng.below(28 * NANOS_PER_SEC as u64) as i64
    } else {
        let u = rng.unit();
        50_000_000 + (u * u * 1.9e9) as i64
    }
}

/// The event time a record can carry: whole seconds for CloudTrail, milliseconds for
/// auditd and WAF.
pub(crate) fn record_time(format: Format, t: i64) -> i64 {
    match format {
        Format::Cloudtrail => t.div_euclid(NANOS_PER_SEC) * NANOS_PER_SEC,
        Format::Auditd | Format::Waf => t.div_euclid(1_000_000) * 1_000_000,
        _ => t,
    }
}

/// Builds the stream of `principal`: `normal` habitual events plus its incidents' events,
/// sorted by (arrival, seq).
pub(crate) fn build(
    config: &GeneratorConfig,
    principal: &Principal,
    normal: u64,
    incidents: &[&Incident],
) -> Vec<Spec> {
    let mut rng = Rng::new(&[config.seed, 0x7374_7265, principal.index as u64]);
    let (start, end) = span(config);
    let days = config.days.max(1) as i64;
    let start_day = start.div_euclid(DAY * NANOS_PER_SEC);
    let total = normal + incidents.iter().map(|i| i.size as u64).sum::<u64>();
    let mut specs = Vec::with_capacity(total as usize);
    let day_cum: Vec<f64> = (0..days)
        .scan(0.0, |acc, d| {
            *acc += if weekday(start_day + d) < 5 {
                1.0
            } else {
                0.12
            };
            Some(*acc)
        })
        .collect();
    let period = (end - start) as f64 / normal.max(1) as f64;
    let phase = rng.unit();
    for i in 0..normal {
        let t = match principal.role {
            Role::Machine => start + ((i as f64 + phase * 0.5 + rng.unit() * 0.5) * period) as i64,
            Role::Human | Role::Root => {
                let day = rng.weighted(&day_cum) as i64;
                let ws = principal.work_start_min as f64;
                let wl = principal.work_len_min as f64;
                let minutes = if rng.chance(0.92) {
                    ws + (rng.unit() + rng.unit()) * 0.5 * wl
                } else {
                    ws - 120.0 + rng.unit() * (wl + 360.0)
                };
                let t = local_to_utc(start, day, minutes, principal.tz_offset_min);
                fit_in(t, start, end).unwrap_or(start + rng.below((end - start) as u64) as i64)
            }
        };
        let time_ns = record_time(config.format, t.clamp(start, end - 1));
        let method = principal.methods[rng.weighted(&principal.method_cum)];
        let ip = if principal.ips.len() == 1 || rng.chance(0.75) {
            principal.ips[0]
        } else {
            principal.ips[1 + rng.index(principal.ips.len() - 1)]
        };
        let agent = if principal.agents.len() == 1 || rng.chance(0.85) {
            principal.agents[0]
        } else {
            principal.agents[1]
        };
        let status = match rng.below(1000) {
            0..=3 => 7,
            4..=6 => 5,
            7..=8 => 3,
            9 => 9,
            _ => 0,
        };
        specs.push(Spec {
            time_ns,
            arrival_ns: time_ns + delay(&mut rng),
            seq: i as u32,
            method,
            status,
            flavor: 0,
            ip,
            agent,
            incident: NO_INCIDENT,
        });
    }
    for incident in incidents {
        anomaly::inject(config, principal, incident, &mut specs);
    }
    specs.sort_unstable_by_key(|s| (s.arrival_ns, s.seq));
    specs
}

/// Splits `total` into integer parts proportional to `weights` (largest remainder, ties by
/// index), so the parts sum to `total` exactly.
pub(crate) fn allocate(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if weights.is_empty() || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights.iter().map(|w| w / sum * total as f64).collect();
    let mut parts: Vec<u64> = exact.iter().map(|e| e.floor() as u64).collect();
    let given: u64 = parts.iter().sum();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    let missing = total.saturating_sub(given) as usize;
    for &i in order.iter().cycle().take(missing) {
        parts[i] += 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_exact() {
        for total in [0, 1, 7, 1000, 999_999] {
            let parts = allocate(total, &[0.3, 1.0, 2.5, 0.01, 7.0]);
            assert_eq!(parts.iter().sum::<u64>(), total);
        }
    }
}
