//! Detection: per-principal behaviour profiles and the anomaly score computed from them.

pub mod alert;
pub mod calibrate;
pub mod forest;
pub mod lifecycle;
pub mod monitor;
pub mod peer;
pub mod privileged;
pub mod profile;
pub mod score;
