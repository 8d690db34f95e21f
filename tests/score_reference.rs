//! The scoring dataflow equals a plain recomputation: for every principal, the windows
//! the reference says change are exactly the windows scored, with the same counts and the
//! same scores, at 1, 2 and 4 workers and on 2 processes of 2 workers; and input =
//! processed + dead-lettered + late.

mod common;

use auditflow::detect::peer::{peer_group, PeerPrivileges};
use auditflow::detect::privileged::is_privileged;
use auditflow::detect::profile::{network_of, observations, Categorical, Profile};
use auditflow::detect::score::{score, ScoringConfig};
use auditflow::event::AuditEvent;
use auditflow::parse::{parse_record, Format};
use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions, ScoreRecord};
use auditflow::sink::Target;
use auditflow::spec::Spec;
use std::collections::{BTreeMap, BTreeSet};

const WINDOW: u64 = 300;
const SLIDE: u64 = 60;
const BASELINE: u64 = 3 * 3600;
const HISTORY: u64 = 14 * 86_400;
/// The baseline and the history move at hour boundaries.
const REFRESH: u64 = 3600;

/// The stamp of an event: the end of its slide granule, in seconds.
fn stamp(e: &AuditEvent) -> u64 {
    (e.time_ns / 1_000_000_000) as u64 / SLIDE * SLIDE + SLIDE
}

/// What the scored record cites besides counts and scores: the evidence ids (most novel
/// against the baseline first, then by time and id; at most 10) and the principal type of
/// the window's latest event.
fn cited(window: &[&&AuditEvent], past: &Profile) -> (Vec<String>, String) {
    let seen = |f: Categorical, v: &str| past.values.get(&f).is_some_and(|m| m.contains_key(v));
    let mut ranked: Vec<(u32, i64, &str)> = window
        .iter()
        .map(|e| {
            let novelty = u32::from(!seen(Categorical::Action, &e.action))
                + u32::from(!seen(Categorical::Network, &network_of(&e.source_ip)))
                + u32::from(!seen(Categorical::UserAgent, &e.user_agent))
                + u32::from(e.outcome.is_failed());
            (novelty, e.time_ns, e.event_id.as_str())
        })
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
    let ids = ranked.iter().take(10).map(|r| r.2.to_string()).collect();
    let latest = window.iter().max_by_key(|e| (e.time_ns, &e.event_id));
    (ids, format!("{:?}", latest.map(|e| e.principal_type)))
}

/// When an event enters the baseline and the history: the first hour boundary at or after
/// it leaves the window.
fn past_from(e: &AuditEvent) -> u64 {
    (stamp(e) + WINDOW).div_ceil(REFRESH) * REFRESH
}

/// Every peer group as it stands at `t`, from scratch: the distinct principals active in
/// it over the history, and per privileged action the distinct principals exercising it.
fn peer_groups(events: &[AuditEvent], t: u64) -> BTreeMap<String, PeerPrivileges> {
    type Members<'a> = BTreeSet<&'a str>;
    let mut groups: BTreeMap<String, (Members, BTreeMap<&str, Members>)> = BTreeMap::new();
    for e in events {
        let p = past_from(e);
        if !(p <= t && t < p + HISTORY) {
            continue;
        }
        let (members, users) = groups
            .entry(peer_group(&e.principal, e.principal_type))
            .or_default();
        members.insert(&e.principal);
        if is_privileged(&e.action) {
            users.entry(&e.action).or_default().insert(&e.principal);
        }
    }
    groups
        .into_iter()
        .map(|(group, (members, users))| {
            let holders: BTreeSet<&str> = users.values().flatten().copied().collect();
            let view = PeerPrivileges {
                group: group.clone(),
                members: members.len() as u64,
                privileged: holders.len() as u64,
                users: users
                    .into_iter()
                    .map(|(a, ps)| (a.to_string(), ps.len() as u64))
                    .collect(),
            };
            (group, view)
        })
        .collect()
}

/// Plain recomputation: for each principal, every time at which its window or baseline
/// changes; at each such time with a non-empty window, build both profiles from scratch.
/// An event is in the window over `[s, s + W)` and in the baseline (resp. history) over
/// `[p, p + B)` (resp. `[p, p + H)`), `p` the first hour boundary at or after `s + W`.
fn reference(events: &[AuditEvent]) -> Vec<(String, u64, u64, u64, u32, u32)> {
    let config = ScoringConfig {
        window_secs: WINDOW,
        baseline_secs: BASELINE,
        ..ScoringConfig::default()
    };
    let mut by_principal: BTreeMap<&str, Vec<&AuditEvent>> = BTreeMap::new();
    for e in events {
        by_principal.entry(&e.principal).or_default().push(e);
    }
    // Peer groups change whenever any event joins or leaves the history.
    let peer_times: BTreeSet<u64> = events
        .iter()
        .flat_map(|e| [past_from(e), past_from(e) + HISTORY])
        .collect();
    let mut peers_at: BTreeMap<u64, BTreeMap<String, PeerPrivileges>> = BTreeMap::new();
    let mut out = Vec::new();
    for (principal, evs) in by_principal {
        let mut times: BTreeSet<u64> = evs
            .iter()
            .flat_map(|e| {
                let (s, p) = (stamp(e), past_from(e));
                [s, s + WINDOW, p, p + BASELINE, p + HISTORY]
            })
            .collect();
        times.extend(&peer_times);
        // Differential emits when the scored record changes; the record is determined by
        // the window, the baseline's counts and the score (history only acts via the score).
        let mut previous = None;
        for t in times {
            let (mut now, mut past) = (Profile::default(), Profile::default());
            let mut window = Vec::new();
            for e in &evs {
                let (s, p) = (stamp(e), past_from(e));
                if p <= t && t < p + HISTORY {
                    // The largest group the principal acted in, then the first by name.
                    let groups = peers_at.entry(t).or_insert_with(|| peer_groups(events, t));
                    let view = &groups[&peer_group(&e.principal, e.principal_type)];
                    let better = past.peers.as_ref().is_none_or(|current| {
                        (view.members, &current.group) > (current.members, &view.group)
                    });
                    if better {
                        past.peers = Some(view.clone());
                    }
                    past.add_history_hour(e.time_ns.div_euclid(86_400_000_000_000) * 24);
                    if is_privileged(&e.action) {
                        past.add_history(&e.action, 1);
                    }
                }
                let target = if s <= t && t < s + WINDOW {
                    window.push(e);
                    &mut now
                } else if p <= t && t < p + BASELINE {
                    &mut past
                } else {
                    continue;
                };
                for o in observations(e) {
                    target.add(&o, 1);
                }
            }
            if now.events == 0 {
                previous = None;
                continue;
            }
            let s = score(&now, &past, &config);
            past.privileged_history.clear();
            past.history_since_hour = None;
            past.peers = None;
            // Events leave the window before they join the baseline, so two events with the
            // same features can swap without changing either profile: the evidence changes.
            let evidence = cited(&window, &past);
            let key = Some((now.clone(), past.clone(), s.clone(), evidence));
            if key == previous {
                continue;
            }
            previous = key;
            let ppm = |x: f64| (x.clamp(0.0, 1.0) * 1e6).round() as u32;
            out.push((
                principal.to_string(),
                t,
                now.events,
                past.events,
                ppm(s.score),
                ppm(s.confidence),
            ));
        }
    }
    out.sort();
    out
}

fn scored(path: &std::path::Path) -> Vec<(String, u64, u64, u64, u32, u32)> {
    let records: Vec<ScoreRecord> = auditflow::evaluate::read_json_lines(path).unwrap();
    let mut rows: Vec<_> = records
        .into_iter()
        .map(|r| {
            let ppm = |x: f64| (x * 1e6).round() as u32;
            (
                r.principal,
                r.window_end_secs,
                r.window_events,
                r.baseline_events,
                ppm(r.score),
                ppm(r.confidence),
            )
        })
        .collect();
    rows.sort();
    rows
}

#[test]
fn scores_equal_reference_at_1_2_4_workers_and_2_processes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    // 8 hours, disorder within the lateness, some malformed lines, no very late events.
    common::write_gcp_file(&input, 9, 3000, 8, 40, 10, 0);
    let text = std::fs::read_to_string(&input).unwrap();
    let position = auditflow::event::Position::line("t".into(), 0, 1);
    let events: Vec<AuditEvent> = text
        .lines()
        .filter_map(|l| parse_record(Format::Gcp, l.as_bytes(), &position).ok())
        .collect();
    let expected = reference(&events);
    assert!(expected.len() > 1000, "the input must produce many windows");
    let mut spec = Spec::default();
    spec.source.paths = vec![input.display().to_string()];
    spec.source.format = Format::Gcp;
    spec.time.baseline = "3h".into();
    let mut first = None;
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let scores = dir
            .path()
            .join(format!("scores{processes}x{workers}.jsonl"));
        let alerts = dir
            .path()
            .join(format!("alerts{processes}x{workers}.jsonl"));
        let report = common::on_cluster(processes, workers, |execution| {
            run_pipeline(RunOptions {
                input: plan_source(&spec.source).unwrap(),
                spec: spec.clone(),
                alerts: Some(Target::File(alerts.clone())),
                alert_style: AlertStyle::Json,
                scores: Some(Target::File(scores.clone())),
                dead_letter: Target::File(dir.path().join("dead.jsonl")),
                late: None,
                collect: false,
                execution,
            })
            .unwrap()
        });
        let s = &report.summary;
        assert_eq!(s.records, s.processed + s.dead_lettered + s.late);
        assert_eq!(
            (s.processed, s.late, s.dead_lettered),
            (events.len() as u64, 0, 10)
        );
        let got = scored(&scores);
        if got != expected {
            let (g, e): (BTreeSet<_>, BTreeSet<_>) =
                (got.iter().collect(), expected.iter().collect());
            let extra: Vec<_> = g.difference(&e).take(5).collect();
            let missing: Vec<_> = e.difference(&g).take(5).collect();
            panic!(
                "scores at {workers} workers: {} scored, {} expected; extra {extra:?}; missing {missing:?}",
                got.len(),
                expected.len()
            );
        }
        let files = (
            std::fs::read(&scores).unwrap(),
            std::fs::read(&alerts).unwrap(),
        );
        match &first {
            None => first = Some(files),
            Some(f) => assert!(f == &files, "outputs differ at {workers} workers"),
        }
    }
}
