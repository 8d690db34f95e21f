//! Detection: per-principal behaviour profiles and the anomaly score computed from them.

pub mod profile;
