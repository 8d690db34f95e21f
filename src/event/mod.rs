//! The normalized audit event every log family is parsed into.
//!
//! One shape for GCP Cloud Audit Logs, AWS CloudTrail, Linux auditd, Confluent Cloud and
//! AWS WAF logs: who (principal and its type), what (action on a service), on which
//! resource, from where (source IP, user agent), with what outcome, when (event time) and
//! where the record came from (its [`Position`]).

pub mod time;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The log family a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFamily {
    /// GCP Cloud Audit Logs (`LogEntry` with an `AuditLog` payload).
    Gcp,
    /// AWS CloudTrail.
    Cloudtrail,
    /// Linux auditd (raw `audit.log`, records grouped into events).
    Auditd,
    /// Confluent Cloud audit logs (CloudEvents).
    Confluent,
    /// AWS WAF web ACL logs.
    Waf,
}

impl SourceFamily {
    /// The lowercase name used in JSON output and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFamily::Gcp => "gcp",
            SourceFamily::Cloudtrail => "cloudtrail",
            SourceFamily::Auditd => "auditd",
            SourceFamily::Confluent => "confluent",
            SourceFamily::Waf => "waf",
        }
    }
}

impl fmt::Display for SourceFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of identity acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalType {
    /// A human user (GCP user account, AWS IAM user, federated user).
    User,
    /// A GCP service account or other non-human account.
    ServiceAccount,
    /// An AWS assumed-role session; the principal is `role/session`.
    AssumedRole,
    /// The AWS account root user.
    Root,
    /// A cloud provider service acting on its own (AWS service, Google-internal).
    Service,
    /// The record does not say.
    Unknown,
}

impl PrincipalType {
    /// The snake_case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "user",
            PrincipalType::ServiceAccount => "service_account",
            PrincipalType::AssumedRole => "assumed_role",
            PrincipalType::Root => "root",
            PrincipalType::Service => "service",
            PrincipalType::Unknown => "unknown",
        }
    }
}

/// How the call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The call succeeded.
    Success,
    /// The call failed for a reason other than authorization.
    Failure,
    /// The call was refused for lack of permission.
    Denied,
}

impl Outcome {
    /// The lowercase name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }

    /// True for `Failure` and `Denied`.
    pub fn is_failed(self) -> bool {
        self != Outcome::Success
    }
}

/// Where a record came from: a file (or stdin) and its line, or a Kafka partition and offset.
///
/// `origin` names the file path, `stdin`, `generator`, or `topic/partition`. `offset` is the
/// byte offset of the record in a file, the Kafka offset, or the generator's sequence
/// number. `line` is the 1-based line number when the reader knows it (sequential readers
/// always do; the parallel chunked file reader computes it only for dead letters).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Position {
    /// File path, `stdin`, `generator` or `topic/partition`.
    pub origin: Arc<str>,
    /// Byte offset, Kafka offset or sequence number.
    pub offset: u64,
    /// 1-based line number, when known. Always serialized (`null` when unknown): skipping
    /// it breaks bincode, which carries positions between the processes of a cluster.
    #[serde(default)]
    pub line: Option<u64>,
}

impl Position {
    /// A position in a file or stream known by line number.
    pub fn line(origin: Arc<str>, offset: u64, line: u64) -> Self {
        Position {
            origin,
            offset,
            line: Some(line),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}", self.origin, line),
            None => write!(f, "{}@{}", self.origin, self.offset),
        }
    }
}

/// One normalized audit event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Event time, nanoseconds since the Unix epoch (UTC).
    pub time_ns: i64,
    /// The log family.
    pub source: SourceFamily,
    /// Who acted, as an analyst would name them (email, `role/session`, IAM user name, ...).
    pub principal: String,
    /// What kind of identity acted.
    pub principal_type: PrincipalType,
    /// The operation (`methodName`, `eventName`).
    pub action: String,
    /// The service called (`serviceName`, `eventSource`).
    pub service: String,
    /// The resource acted on, empty when the record names none.
    pub resource: String,
    /// The caller's IP address (or hostname, as CloudTrail writes for AWS services).
    pub source_ip: String,
    /// The caller's user agent.
    pub user_agent: String,
    /// How the call ended.
    pub outcome: Outcome,
    /// The error code when the call did not succeed (`status.code`, `errorCode`).
    pub error_code: Option<String>,
    /// The record's stable id (`insertId`, `eventID`).
    pub event_id: String,
    /// Where the record came from.
    pub position: Position,
}

/// The JSON shape of an event printed to users (`auditflow parse`, alert evidence): the
/// time as RFC 3339 and the position as `origin:line` or `origin@offset`.
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    /// Event time, RFC 3339 UTC.
    pub time: String,
    /// Log family.
    pub source: SourceFamily,
    /// Who acted.
    pub principal: &'a str,
    /// What kind of identity acted.
    pub principal_type: PrincipalType,
    /// The operation.
    pub action: &'a str,
    /// The service.
    pub service: &'a str,
    /// The resource.
    pub resource: &'a str,
    /// Caller IP.
    pub source_ip: &'a str,
    /// Caller user agent.
    pub user_agent: &'a str,
    /// Outcome.
    pub outcome: Outcome,
    /// Error code, if any.
    pub error_code: Option<&'a str>,
    /// Stable record id.
    pub event_id: &'a str,
    /// Where the record came from.
    pub position: String,
}

impl AuditEvent {
    /// The user-facing JSON view of this event.
    pub fn view(&self) -> EventView<'_> {
        EventView {
            time: time::format_rfc3339(self.time_ns),
            source: self.source,
            principal: &self.principal,
            principal_type: self.principal_type,
            action: &self.action,
            service: &self.service,
            resource: &self.resource,
            source_ip: &self.source_ip,
            user_agent: &self.user_agent,
            outcome: self.outcome,
            error_code: self.error_code.as_deref(),
            event_id: &self.event_id,
            position: self.position.to_string(),
        }
    }
}
