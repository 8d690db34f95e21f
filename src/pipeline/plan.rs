//! From a spec's source section to an [`InputPlan`].

use super::InputPlan;
use crate::generate::GeneratorConfig;
use crate::parse::Format;
use crate::source::file::{expand_inputs, plan_files, CHUNK_BYTES};
use crate::spec::{SourceKind, SourceSpec};
use crate::{Error, Result};

/// Plans the units of a spec's source. Fails early on missing files or an empty file list.
pub fn plan_source(source: &SourceSpec) -> Result<InputPlan> {
    match source.kind {
        SourceKind::Files => {
            if source.paths.is_empty() {
                return Err(Error::invalid(
                    "source",
                    "no input: give --input PATH (or - for stdin), or set source.paths in the spec",
                ));
            }
            Ok(InputPlan::Files(plan_files(
                &expand_inputs(&source.paths)?,
                CHUNK_BYTES,
            )?))
        }
        SourceKind::Stdin => Ok(InputPlan::Files(plan_files(&["-".into()], CHUNK_BYTES)?)),
        SourceKind::Generator => {
            let formats = match source.format {
                Format::Auto => vec![Format::Gcp, Format::Cloudtrail],
                one => vec![one],
            };
            let g = &source.generator;
            let configs = formats
                .iter()
                .enumerate()
                .map(|(i, format)| {
                    let events = g.events / formats.len() as u64;
                    let mut config =
                        GeneratorConfig::new(*format, events, g.seed.wrapping_add(i as u64));
                    config.days = g.days.max(1);
                    if g.principals > 0 {
                        config.principals = g.principals;
                    }
                    if let Some(incidents) = g.incidents {
                        config.incidents = incidents;
                    }
                    config
                })
                .collect();
            Ok(InputPlan::Generator(configs))
        }
    }
}
