//! `auditflow demo`: generated GCP and CloudTrail streams with injected attacks, through
//! the full engine, with detection quality measured against the injected labels.

use crate::evaluate::{evaluate, Quality};
use crate::generate::{all, Label};
use crate::parse::Format;
use crate::pipeline::plan::plan_source;
use crate::pipeline::run::{run_pipeline, AlertStyle, RunOptions, RunReport};
use crate::pipeline::{Execution, InputPlan};
use crate::sink::Target;
use crate::spec::{GeneratorSpec, SourceKind, SourceSpec, Spec};
use crate::Result;

/// Demo settings.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Total events over both families.
    pub events: u64,
    /// Generator seed.
    pub seed: u64,
    /// Days of event time.
    pub days: u32,
    /// Alerts as JSON lines instead of a table.
    pub json: bool,
    /// Workers.
    pub execution: Execution,
}

/// What the demo did and how well it detected.
pub struct DemoReport {
    /// The run.
    pub run: RunReport,
    /// Detection quality against the injected labels.
    pub quality: Quality,
}

/// The demo's spec: both families from the generator, default windows and thresholds, and
/// the shipped privileged-access Sigma rules (built into the binary).
pub fn demo_spec(options: &DemoOptions) -> Spec {
    Spec {
        name: "demo".into(),
        source: SourceSpec {
            kind: SourceKind::Generator,
            format: Format::Auto,
            generator: GeneratorSpec {
                events: options.events,
                seed: options.seed,
                days: options.days,
                principals: 0,
                incidents: None,
            },
            ..SourceSpec::default()
        },
        rules: crate::spec::RulesSpec {
            sigma: vec![crate::sigma::shipped::BUILTIN_PRIVILEGED.to_string()],
        },
        ..Spec::default()
    }
}

/// Runs the demo: alerts go to stdout as they fire.
pub fn run_demo(options: DemoOptions) -> Result<DemoReport> {
    let spec = demo_spec(&options);
    let input = plan_source(&spec.source)?;
    let labels: Vec<Label> = match &input {
        // Incident ids restart per family: qualify them so the families' incidents stay apart.
        InputPlan::Generator(configs) => configs
            .iter()
            .flat_map(|c| {
                all(c).filter_map(move |r| {
                    r.label.map(|mut l| {
                        l.incident = format!("{}-{}", c.format, l.incident);
                        l
                    })
                })
            })
            .collect(),
        InputPlan::Files(_) | InputPlan::Kafka(_) | InputPlan::Follow(_) => Vec::new(),
    };
    let window = spec.time.windows()?.window;
    let run = run_pipeline(RunOptions {
        spec,
        input,
        alerts: Some(Target::Stdout),
        alert_style: if options.json {
            AlertStyle::Json
        } else {
            AlertStyle::Table
        },
        scores: None,
        dead_letter: Target::Stderr,
        late: None,
        collect: true,
        execution: options.execution,
    })?;
    let quality = evaluate(&run.scores, &run.alerts, &labels, window);
    Ok(DemoReport { run, quality })
}
