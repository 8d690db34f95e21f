//! `sigma`: Sigma rule tools.

use crate::common::say;
use auditflow::sigma::CheckReport;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SigmaArgs {
    #[command(subcommand)]
    command: SigmaCommand,
}

#[derive(clap::Subcommand)]
enum SigmaCommand {
    /// Which rules under the paths load, and for each that does not, why.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Rule files or directories (searched recursively for .yml and .yaml).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Print {"loaded": N, "failed": [{"path", "reason"}], "rules": [...]} as JSON.
    #[arg(long)]
    json: bool,
}

impl SigmaArgs {
    pub fn execute(self) -> auditflow::Result<()> {
        match self.command {
            SigmaCommand::Check(args) => args.execute(),
        }
    }
}

impl CheckArgs {
    fn execute(self) -> auditflow::Result<()> {
        let report = CheckReport::check(&self.paths)?;
        if self.json {
            say(format_args!("{}", report.to_json()));
            return Ok(());
        }
        for loaded in &report.loaded {
            let rule = &loaded.rule;
            say(format_args!(
                "ok      {}  [{:?}] {}",
                loaded.path.display(),
                rule.target,
                rule.title
            ));
        }
        for failed in &report.failed {
            say(format_args!(
                "FAILED  {}  {}",
                failed.path.display(),
                failed.reason
            ));
        }
        say(format_args!(
            "{} rules load, {} do not",
            report.loaded.len(),
            report.failed.len()
        ));
        Ok(())
    }
}
