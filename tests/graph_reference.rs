//! The entity graph built by the dataflow equals a plain reference computation at 1, 2 and
//! 4 workers and on 2 processes, on generated logs and real CloudTrail detonations; the CLI
//! answers queries and exports, host-audit graphs included.

mod common;

use auditflow::generate::GeneratorConfig;
use auditflow::graph::run::{run_graph, GraphOptions};
use auditflow::graph::EntityGraph;
use auditflow::parse::Format;
use auditflow::sink::Target;

fn inputs(dir: &std::path::Path) -> Vec<String> {
    let generated = dir.join("gcp.jsonl");
    auditflow::generate::write_files(
        &GeneratorConfig::new(Format::Gcp, 15_000, 9),
        &generated,
        None,
    )
    .unwrap();
    let stratus = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/cloudtrail/stratus-red-team"
    );
    vec![
        generated.to_string_lossy().into_owned(),
        stratus.to_string(),
    ]
}

#[test]
fn dataflow_graph_equals_reference_at_1_2_4_workers() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path());
    let files = auditflow::source::file::expand_inputs(&paths).unwrap();
    let files: Vec<String> = files
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let (events, _) = common::parse_files(&files, Format::Auto);
    let reference = EntityGraph::from_events(&events);
    assert!(reference.edges.len() > 1000);
    for (processes, workers) in [(1, 1), (1, 2), (1, 4), (2, 2)] {
        let (graph, summary) = common::on_cluster(processes, workers, |execution| {
            run_graph(GraphOptions {
                inputs: paths.clone(),
                format: Format::Auto,
                lateness_secs: 10 * 365 * 86_400,
                dead_letter: Target::File(dir.path().join("dead.jsonl")),
                execution,
            })
        })
        .unwrap();
        assert_eq!(graph, reference, "{processes}x{workers}");
        assert_eq!(summary.processed, events.len() as u64);
        assert_eq!(
            summary.records,
            summary.processed + summary.dead_lettered + summary.late
        );
    }
}

#[test]
fn cli_queries_a_principal_and_exports_for_neo4j() {
    let dir = tempfile::tempdir().unwrap();
    let paths = inputs(dir.path());
    let (events, _) = common::parse_files(&paths[..1], Format::Gcp);
    let principal = &events[0].principal;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["graph", "--hops", "1", "--principal", principal, "--input"])
        .arg(&paths[0])
        .arg("--neo4j")
        .arg(dir.path().join("neo"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let relationships = std::fs::read_to_string(dir.path().join("neo/relationships.csv")).unwrap();
    let expected: std::collections::BTreeSet<(String, String)> = events
        .iter()
        .filter(|e| &e.principal == principal)
        .flat_map(|e| {
            [
                (e.action.clone(), e.resource.clone()),
                ("".into(), e.source_ip.clone()),
            ]
        })
        .filter(|(_, to)| !to.is_empty())
        .collect();
    // One relationship per distinct (action, resource) and per address of the principal.
    assert_eq!(relationships.lines().count() - 1, expected.len());
    let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args(["graph", "--principal", "nobody@example.com", "--input"])
        .arg(&paths[0])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--principal"));
}

#[test]
fn cli_links_auditd_users_processes_hosts_and_commands() {
    let dir = tempfile::tempdir().unwrap();
    let otrf = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/auditd/otrf");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_auditflow"))
        .args([
            "graph",
            "--format",
            "auditd",
            "--principal",
            "1000",
            "--input",
            otrf,
        ])
        .arg("--neo4j")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nodes = std::fs::read_to_string(dir.path().join("nodes.csv")).unwrap();
    let relationships = std::fs::read_to_string(dir.path().join("relationships.csv")).unwrap();
    // OTRF's detonations: user 1000 ran dd and arp on the host; dd's command line is kept.
    for node in ["/bin/dd,Process", "/usr/sbin/arp,Process", "localhost,Host"] {
        assert!(nodes.contains(node), "{node} in {nodes}");
    }
    assert!(
        nodes.contains("dd if=/dev/zero bs=1 count=1,Resource"),
        "{nodes}"
    );
    assert!(relationships.contains(",ON_HOST,"), "{relationships}");
    assert!(
        relationships.contains(",ACTED_ON,execve,"),
        "{relationships}"
    );
}
