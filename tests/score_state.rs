//! The scoring dataflow's state is bounded by event time: once a principal has been idle
//! longer than the window, baseline and history horizons, every arrangement of
//! `score_windows` has let go of it. Counted in arranged records (differential's logging),
//! not in bytes, so the test does not depend on the allocator or the machine.

use auditflow::detect::score::ScoringConfig;
use auditflow::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
use auditflow::operators::ScoreWindows;
use auditflow::pipeline::arranged::ArrangedRecords;
use differential_dataflow::input::InputSession;

const SLIDE: u64 = 60;
const HOUR: u64 = 3600;

fn event(principal: &str, secs: u64, n: u64) -> AuditEvent {
    AuditEvent {
        time_ns: (secs * 1_000_000_000) as i64,
        source: SourceFamily::Gcp,
        principal: principal.into(),
        principal_type: PrincipalType::User,
        action: [
            "storage.objects.get",
            "SetIamPolicy",
            "compute.instances.list",
        ][n as usize % 3]
            .into(),
        service: "storage.googleapis.com".into(),
        resource: String::new(),
        source_ip: format!("10.0.{}.7", n % 4),
        user_agent: "gcloud".into(),
        outcome: if n % 5 == 0 {
            Outcome::Denied
        } else {
            Outcome::Success
        },
        error_code: None,
        event_id: format!("{principal}-{secs}-{n}"),
        position: Position::line("test".into(), n, n + 1),
    }
}

/// Arranged records of `score_windows` (on one worker): while `principals` are active for
/// two hours, then after they have all been idle past the longest horizon.
fn records_while_active_and_after_idle(principals: usize) -> (i64, i64) {
    let config = ScoringConfig {
        window_secs: 300,
        baseline_secs: 2 * HOUR,
        history_secs: 4 * HOUR,
        ..ScoringConfig::default()
    };
    // The last event leaves the history at most window + refresh + history after it.
    let idle_past = config.window_secs + HOUR + config.history_secs + HOUR;
    // As the engine runs it: idle arrangements keep merging until compact.
    let engine = timely::Config {
        worker: auditflow::pipeline::execution::worker_config(),
        ..timely::Config::thread()
    };
    let guards = timely::execute(engine, move |worker| {
        let arranged = ArrangedRecords::register(worker);
        let mut input = InputSession::<u64, AuditEvent, isize>::new();
        let (config, window) = (config.clone(), config.window_secs);
        let probe = worker.dataflow(|scope| {
            let (probe, _) = input.to_collection(scope).score_windows(config).probe();
            probe
        });
        let active_until = 2 * HOUR;
        let mut busy = 0;
        let mut time = SLIDE;
        while time <= active_until + idle_past {
            if time <= active_until {
                for p in 0..principals {
                    let secs = time - SLIDE + (p as u64 % SLIDE);
                    input.update_at(event(&format!("p{p}"), secs, time / SLIDE), time, 1);
                }
            }
            time += SLIDE;
            input.advance_to(time);
            input.flush();
            worker.step_while(|| probe.less_than(&time));
            if time <= active_until + window {
                busy = busy.max(arranged.total());
            }
        }
        // Let the traces finish their merges with nothing new arriving.
        for _ in 0..100 {
            worker.step();
        }
        (busy, arranged.total())
    })
    .expect("timely runs");
    guards.join().into_iter().next().unwrap().unwrap()
}

#[test]
fn idle_principals_leave_no_arranged_state() {
    // Without idle merging, 30 and 50 principals left 120 and 200 records in unmerged
    // batches (the spine's layering happened to finish the merges at 40).
    for principals in [30, 50] {
        let (busy, after_idle) = records_while_active_and_after_idle(principals);
        assert!(
            busy > principals as i64 * 10,
            "active principals are arranged: {busy}"
        );
        assert_eq!(
            after_idle, 0,
            "records left after {principals} principals went idle"
        );
    }
}

#[test]
fn arranged_state_grows_with_active_principals() {
    let (few, _) = records_while_active_and_after_idle(10);
    let (many, after_idle) = records_while_active_and_after_idle(40);
    assert!(
        many > 3 * few,
        "{few} records for 10 principals, {many} for 40"
    );
    assert_eq!(after_idle, 0);
}
