//! AuditFlow: streaming detection of anomalous privileged access in audit logs.
//!
//! Records from GCP Cloud Audit Logs and AWS CloudTrail are parsed into one normalized
//! [`event::AuditEvent`], flow through a multi-worker timely dataflow, and feed
//! per-principal behaviour aggregates maintained incrementally by differential dataflow.
//! Each principal's current window is scored against its own baseline.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cluster;
pub mod demo;
pub mod detect;
pub mod error;
pub mod evaluate;
pub mod event;
pub mod generate;
pub mod graph;
pub mod parse;

pub use error::{Error, Result};
pub mod normalize;
pub mod operators;
pub mod pipeline;
pub mod produce;
pub mod report;
pub mod sigma;
pub mod sink;
pub mod source;
pub mod spec;
