//! `[score]` keys of the calibrated confidence: tail horizon and decades, and the forest.

use super::{parse_duration, ScoreSpec};
use crate::detect::calibrate::Calibration;
use crate::{Error, Result};

impl ScoreSpec {
    /// The validated calibration settings.
    pub fn calibration(&self) -> Result<Calibration> {
        let horizon_secs = parse_duration("score.tail_horizon", &self.tail_horizon)?;
        for (what, decades) in [
            ("score.tail_decades", self.tail_decades),
            ("score.forest_decades", self.forest_decades),
        ] {
            if !(decades > 0.0 && decades.is_finite()) {
                return Err(Error::invalid(
                    "score",
                    format!("{what} = {decades} must be a positive number"),
                ));
            }
        }
        Ok(Calibration {
            horizon_secs,
            decades: self.tail_decades,
            forest_decades: self.forest.then_some(self.forest_decades),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::Spec;
    use std::path::Path;

    #[test]
    fn defaults_and_bad_values() {
        let spec = Spec::parse("", Path::new("x.toml")).unwrap();
        let c = spec.score.calibration().unwrap();
        assert_eq!((c.horizon_secs, c.decades), (86_400, 2.0));
        let spec = Spec::parse(
            "[score]\ntail_horizon = \"6h\"\nforest = false\n",
            Path::new("x.toml"),
        )
        .unwrap();
        let c = spec.score.calibration().unwrap();
        assert_eq!((c.horizon_secs, c.forest_decades), (21_600, None));
        for (text, says) in [
            ("tail_decades = 0.0", "tail_decades"),
            ("forest_decades = -1.0", "forest_decades"),
            ("tail_horizon = \"soon\"", "not a duration"),
            ("tail_decade = 2.0", "tail_decade"),
        ] {
            let err = Spec::parse(&format!("[score]\n{text}\n"), Path::new("x.toml")).unwrap_err();
            assert!(err.to_string().contains(says), "{text}: {err}");
        }
    }
}
