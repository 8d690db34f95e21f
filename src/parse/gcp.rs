//! GCP Cloud Audit Logs: a `LogEntry` whose `protoPayload` is an `AuditLog`.
//!
//! Mapping: time = `timestamp`; principal = `authenticationInfo.principalEmail`, else
//! `principalSubject`, else the first `serviceAccountDelegationInfo` principal; action =
//! `methodName`; service = `serviceName`; resource = `resourceName`; source IP =
//! `requestMetadata.callerIp`; user agent = `requestMetadata.callerSuppliedUserAgent`;
//! outcome from `status.code` (absent, `{}` or 0: success; 7 PERMISSION_DENIED and
//! 16 UNAUTHENTICATED: denied; any other code: failure); event id = `insertId`.

use super::diagnose::{find_wrong_type, Kind};
use super::json::{ends_with_ignore_case, from_record, non_empty, or_empty, First, Str};
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

/// Parses one GCP `LogEntry` (UTF-8 and JSON are checked here).
pub fn parse_gcp(raw: &[u8], position: &Position) -> ParseResult {
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
        Some(m) => (or_empty(&m.caller_ip), or_empty(&m.user_agent)),
        None => (String::new(), String::new()),
    };
    Ok(AuditEvent {
        time_ns,
        source: SourceFamily::Gcp,
        principal_type: principal_type(principal),
        principal: principal.to_owned(),
        action: action.to_owned(),
        service: service.to_owned(),
        resource: or_empty(&p.resource_name),
        source_ip,
        user_agent,
        outcome: outcome(code),
        error_code: (code != 0).then(|| code.to_string()),
        event_id: or_empty(&entry.insert_id),
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
