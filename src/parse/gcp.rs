//! GCP Cloud Audit Logs: a `LogEntry` whose `protoPayload` is an `AuditLog`.
//!
//! Mapping: time = `timestamp`; principal = `authenticationInfo.principalEmail`, else
//! `principalSubject`, else the first `serviceAccountDelegationInfo` principal; action =
//! `methodName`; service = `serviceName`; resource = `resourceName`; source IP =
//! `requestMetadata.callerIp`; user agent = `requestMetadata.callerSuppliedUserAgent`;
//! outcome from `status.code` (absent, `{}` or 0: success; 7 PERMISSION_DENIED and
//! 16 UNAUTHENTICATED: denied; any other code: failure); event id = `insertId`.

use super::diagnose::{find_wrong_type, Kind};
use super::json::{ends_with_ignore_case, from_record, non_empty, First, Str};
use super::{ParseError, ParseResult};
use crate::event::time::parse_rfc3339_ns;
use crate::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
use serde::Deserialize;

/// `google.rpc.Code.PERMISSION_DENIED`.
pub const CODE_PERMISSION_DENIED: i64 = 7;
/// `google.rpc.Code.UNAUTHENTICATED`.
pub const CODE_UNAUTHENTICATED: i64 = 16;

#[derive(Deserialize)]
struct Entry<'a> {
    #[serde(borrow)]
    timestamp: Option<Str<'a>>,
    #[serde(rename = "insertId", borrow)]
    insert_id: Option<Str<'a>>,
    #[serde(rename = "protoPayload", borrow)]
    proto_payload: Option<Payload<'a>>,
}

#[derive(Deserialize)]
struct Payload<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: Option<Str<'a>>,
    #[serde(rename = "methodName", borrow)]
    method_name: Option<Str<'a>>,
    #[serde(rename = "resourceName", borrow)]
    resource_name: Option<Str<'a>>,
    #[serde(rename = "authenticationInfo", borrow)]
    authentication_info: Option<AuthenticationInfo<'a>>,
    #[serde(rename = "requestMetadata", borrow)]
    request_metadata: Option<RequestMetadata<'a>>,
    status: Option<Status>,
}

#[derive(Deserialize)]
struct AuthenticationInfo<'a> {
    #[serde(rename = "principalEmail", borrow)]
    principal_email: Option<Str<'a>>,
    #[serde(rename = "principalSubject", borrow)]
    principal_subject: Option<Str<'a>>,
    #[serde(rename = "serviceAccountDelegationInfo", borrow)]
    delegation: Option<First<Delegation<'a>>>,
}

#[derive(Deserialize)]
struct Delegation<'a> {
    #[serde(rename = "firstPartyPrincipal", borrow)]
    first_party: Option<DelegatedPrincipal<'a>>,
    #[serde(rename = "principalSubject", borrow)]
    principal_subject: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct DelegatedPrincipal<'a> {
    #[serde(rename = "principalEmail", borrow)]
    principal_email: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RequestMetadata<'a> {
    #[serde(rename = "callerIp", borrow)]
    caller_ip: Option<Str<'a>>,
    #[serde(rename = "callerSuppliedUserAgent", borrow)]
    user_agent: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Status {
    code: Option<i64>,
}

const CHECKS: &[(&str, Kind)] = &[
    ("timestamp", Kind::Str),
    ("insertId", Kind::Str),
    ("protoPayload", Kind::Obj),
    ("protoPayload.serviceName", Kind::Str),
    ("protoPayload.methodName", Kind::Str),
    ("protoPayload.resourceName", Kind::Str),
    ("protoPayload.authenticationInfo", Kind::Obj),
    ("protoPayload.authenticationInfo.principalEmail", Kind::Str),
    (
        "protoPayload.authenticationInfo.principalSubject",
        Kind::Str,
    ),
    (
        "protoPayload.authenticationInfo.serviceAccountDelegationInfo",
        Kind::Arr,
    ),
    (
        "protoPayload.authenticationInfo.serviceAccountDelegationInfo.0",
        Kind::Obj,
    ),
    ("protoPayload.requestMetadata", Kind::Obj),
    ("protoPayload.requestMetadata.callerIp", Kind::Str),
    (
        "protoPayload.requestMetadata.callerSuppliedUserAgent",
        Kind::Str,
    ),
    ("protoPayload.status", Kind::Obj),
    ("protoPayload.status.code", Kind::Int),
];

fn diagnose(raw: &[u8]) -> Option<ParseError> {
    find_wrong_type(raw, CHECKS)
}

/// The fields of a GCP `LogEntry` the engine reads, borrowed from the record: the one
/// mapping (see the module docs) behind [`parse_gcp`] and any leaner consumer.
#[derive(Clone, Copy, Debug)]
pub struct GcpFields<'a> {
    /// Event time, nanoseconds since the Unix epoch.
    pub time_ns: i64,
    /// The principal (non-empty).
    pub principal: &'a str,
    /// `methodName` (non-empty).
    pub action: &'a str,
    /// `serviceName` (non-empty).
    pub service: &'a str,
    /// `resourceName`, empty when absent.
    pub resource: &'a str,
    /// `requestMetadata.callerIp`, empty when absent.
    pub source_ip: &'a str,
    /// `requestMetadata.callerSuppliedUserAgent`, empty when absent.
    pub user_agent: &'a str,
    /// `status.code`, 0 when absent.
    pub code: i64,
    /// `insertId`, empty when absent.
    pub insert_id: &'a str,
}

/// Parses one GCP `LogEntry` (UTF-8 and JSON are checked here) and hands its fields to `f`
/// without copying any string.
pub fn with_gcp_fields<R>(
    raw: &[u8],
    f: impl FnOnce(&GcpFields<'_>) -> R,
) -> Result<R, ParseError> {
    let entry: Entry<'_> = from_record(raw, diagnose)?;
    let p = entry
        .proto_payload
        .ok_or(ParseError::MissingField("protoPayload"))?;
    let ts = non_empty(&entry.timestamp).ok_or(ParseError::MissingField("timestamp"))?;
    let time_ns = parse_rfc3339_ns(ts).ok_or_else(|| ParseError::BadTimestamp(ts.to_owned()))?;
    let principal = principal(&p).ok_or(ParseError::MissingField(
        "protoPayload.authenticationInfo.principalEmail",
    ))?;
    let action =
        non_empty(&p.method_name).ok_or(ParseError::MissingField("protoPayload.methodName"))?;
    let service =
        non_empty(&p.service_name).ok_or(ParseError::MissingField("protoPayload.serviceName"))?;
    let code = p.status.as_ref().and_then(|s| s.code).unwrap_or(0);
    let (source_ip, user_agent) = match &p.request_metadata {
        Some(m) => (str_or_empty(&m.caller_ip), str_or_empty(&m.user_agent)),
        None => ("", ""),
    };
    Ok(f(&GcpFields {
        time_ns,
        principal,
        action,
        service,
        resource: str_or_empty(&p.resource_name),
        source_ip,
        user_agent,
        code,
        insert_id: str_or_empty(&entry.insert_id),
    }))
}

fn str_or_empty<'s>(s: &'s Option<Str<'_>>) -> &'s str {
    s.as_ref().map_or("", |s| &s.0)
}

/// Parses one GCP `LogEntry` (UTF-8 and JSON are checked here).
pub fn parse_gcp(raw: &[u8], position: &Position) -> ParseResult {
    with_gcp_fields(raw, |f| AuditEvent {
        time_ns: f.time_ns,
        source: SourceFamily::Gcp,
        principal_type: principal_type(f.principal),
        principal: f.principal.to_owned(),
        action: f.action.to_owned(),
        service: f.service.to_owned(),
        resource: f.resource.to_owned(),
        source_ip: f.source_ip.to_owned(),
        user_agent: f.user_agent.to_owned(),
        outcome: outcome(f.code),
        error_code: (f.code != 0).then(|| f.code.to_string()),
        event_id: f.insert_id.to_owned(),
        position: position.clone(),
    })
}

fn principal<'s>(p: &'s Payload<'_>) -> Option<&'s str> {
    let auth = p.authentication_info.as_ref()?;
    non_empty(&auth.principal_email)
        .or_else(|| non_empty(&auth.principal_subject))
        .or_else(|| {
            let d = auth.delegation.as_ref()?.0.as_ref()?;
            d.first_party
                .as_ref()
                .and_then(|f| non_empty(&f.principal_email))
                .or_else(|| non_empty(&d.principal_subject))
        })
}

/// The outcome of a `google.rpc.Status` code: anything but 0 is not a success.
pub fn outcome(code: i64) -> Outcome {
    match code {
        0 => Outcome::Success,
        CODE_PERMISSION_DENIED | CODE_UNAUTHENTICATED => Outcome::Denied,
        _ => Outcome::Failure,
    }
}

/// What kind of identity a GCP principal is.
///
/// Google-managed identities (`system@google.com`, `*@system.gserviceaccount.com`, service
/// agents `*@gcp-sa-*.iam.gserviceaccount.com`, `*@cloudservices.gserviceaccount.com`,
/// `*@containerregistry.iam.gserviceaccount.com`, Kubernetes `system:` identities other than
/// service accounts) are [`PrincipalType::Service`]; other `*.gserviceaccount.com` accounts
/// and `system:serviceaccount:` / `serviceAccount:` subjects are
/// [`PrincipalType::ServiceAccount`]; anything with an `@` or a `user:` / `principal://`
/// subject is a [`PrincipalType::User`]; the rest is [`PrincipalType::Unknown`].
pub fn principal_type(principal: &str) -> PrincipalType {
    let domain = principal.rsplit_once('@').map(|(_, d)| d);
    if principal.eq_ignore_ascii_case("system@google.com") {
        return PrincipalType::Service;
    }
    if let Some(d) = domain {
        if ends_with_ignore_case(d, "gserviceaccount.com") {
            let google_managed = d.eq_ignore_ascii_case("system.gserviceaccount.com")
                || d.eq_ignore_ascii_case("cloudservices.gserviceaccount.com")
                || d.eq_ignore_ascii_case("containerregistry.iam.gserviceaccount.com")
                || d.get(..7)
                    .is_some_and(|p| p.eq_ignore_ascii_case("gcp-sa-"));
            return if google_managed {
                PrincipalType::Service
            } else {
                PrincipalType::ServiceAccount
            };
        }
    }
    if principal.starts_with("system:serviceaccount:") || principal.starts_with("serviceAccount:") {
        return PrincipalType::ServiceAccount;
    }
    if principal.starts_with("system:") {
        return PrincipalType::Service;
    }
    if domain.is_some() || principal.starts_with("user:") || principal.starts_with("principal://") {
        return PrincipalType::User;
    }
    PrincipalType::Unknown
}
