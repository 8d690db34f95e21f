//! Confluent Cloud audit logs: CloudEvents JSON records from the `confluent-audit-log-events`
//! topic (schema: docs.confluent.io, "Audit Log Event Schema on Confluent Cloud").
//!
//! Mapping: time = `time`; principal = `data.authenticationInfo.principal` (`User:u-abc123`,
//! `User:sa-xyz`, `None:UNKNOWN_USER` for failed sign-ins), else
//! `data.authorizationInfo.actingPrincipal`; action = `data.methodName`
//! (`kafka.Authentication`, `mds.Authorize`, `SignIn`, `CreateAPIKey`,
//! `BindRoleForPrincipal`, ...); service = `data.serviceName` (a CRN), else `source`;
//! resource = `data.authorizationInfo` `resourceType:resourceName` when an authorization
//! was checked, else `data.resourceName`, else `subject`; source IP = the first
//! `data.requestMetadata.clientAddress[].ip`; user agent = `data.request.client_id`, the
//! nearest the schema has to one; event id = `id`.
//!
//! Outcome: `authorizationInfo.granted == false` is denied; `result.status` `SUCCESS` (or
//! absent) is success, `UNAUTHENTICATED`, `UNAUTHORIZED`, `PERMISSION_DENIED` and `DENIED`
//! are denied, any other status (`FAILURE`, ...) is a failure, reported as the error code.

use super::json::{from_record, non_empty, First, Str};
use super::{ParseError, ParseResult};
use crate::event::time::parse_rfc3339_ns;
use crate::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
use serde::Deserialize;

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    time: Option<Str<'a>>,
    #[serde(borrow)]
    source: Option<Str<'a>>,
    #[serde(borrow)]
    subject: Option<Str<'a>>,
    #[serde(borrow)]
    data: Option<Data<'a>>,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "serviceName", borrow)]
    service_name: Option<Str<'a>>,
    #[serde(rename = "methodName", borrow)]
    method_name: Option<Str<'a>>,
    #[serde(rename = "resourceName", borrow)]
    resource_name: Option<Str<'a>>,
    #[serde(rename = "authenticationInfo", borrow)]
    authentication: Option<Authentication<'a>>,
    #[serde(rename = "authorizationInfo", borrow)]
    authorization: Option<Authorization<'a>>,
    #[serde(rename = "requestMetadata", borrow)]
    request_metadata: Option<RequestMetadata<'a>>,
    #[serde(borrow)]
    request: Option<Request<'a>>,
    #[serde(borrow)]
    result: Option<ResultInfo<'a>>,
}

#[derive(Deserialize)]
struct Authentication<'a> {
    #[serde(borrow)]
    principal: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Authorization<'a> {
    granted: Option<bool>,
    #[serde(rename = "resourceType", borrow)]
    resource_type: Option<Str<'a>>,
    #[serde(rename = "resourceName", borrow)]
    resource_name: Option<Str<'a>>,
    #[serde(rename = "actingPrincipal", borrow)]
    acting_principal: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RequestMetadata<'a> {
    #[serde(rename = "clientAddress", alias = "client_address", borrow)]
    client_address: Option<First<ClientAddress<'a>>>,
}

#[derive(Deserialize)]
struct ClientAddress<'a> {
    #[serde(borrow)]
    ip: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow)]
    client_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct ResultInfo<'a> {
    #[serde(borrow)]
    status: Option<Str<'a>>,
}

/// Parses one Confluent Cloud audit log record (UTF-8 and JSON are checked here).
pub fn parse_confluent(raw: &[u8], position: &Position) -> ParseResult {
    let record: Record = from_record(raw, |_| None)?;
    let data = record.data.ok_or(ParseError::MissingField("data"))?;
    let ts = non_empty(&record.time).ok_or(ParseError::MissingField("time"))?;
    let time_ns = parse_rfc3339_ns(ts).ok_or_else(|| ParseError::BadTimestamp(ts.to_owned()))?;
    let action = non_empty(&data.method_name).ok_or(ParseError::MissingField("data.methodName"))?;
    let auth = data.authorization.as_ref();
    let principal = data
        .authentication
        .as_ref()
        .and_then(|a| non_empty(&a.principal))
        .or_else(|| auth.and_then(|a| non_empty(&a.acting_principal)))
        .ok_or(ParseError::MissingField(
            "data.authenticationInfo.principal",
        ))?;
    let service = non_empty(&data.service_name)
        .or_else(|| non_empty(&record.source))
        .unwrap_or("");
    let checked =
        auth.and_then(|a| Some((non_empty(&a.resource_type)?, non_empty(&a.resource_name)?)));
    let resource = match checked {
        Some((kind, name)) => format!("{kind}:{name}"),
        None => non_empty(&data.resource_name)
            .or_else(|| non_empty(&record.subject))
            .unwrap_or("")
            .to_owned(),
    };
    let source_ip = data
        .request_metadata
        .as_ref()
        .and_then(|m| m.client_address.as_ref()?.0.as_ref())
        .and_then(|a| non_empty(&a.ip))
        .unwrap_or("");
    let user_agent = data
        .request
        .as_ref()
        .and_then(|r| non_empty(&r.client_id))
        .unwrap_or("");
    let status = data.result.as_ref().and_then(|r| non_empty(&r.status));
    let granted = auth.and_then(|a| a.granted);
    let outcome = outcome(granted, status);
    let error_code = match (outcome, status) {
        (Outcome::Success, _) => None,
        (_, Some(s)) if !s.eq_ignore_ascii_case("SUCCESS") => Some(s.to_owned()),
        _ => Some("NOT_GRANTED".to_owned()),
    };
    Ok(AuditEvent {
        time_ns,
        source: SourceFamily::Confluent,
        principal_type: principal_type(principal),
        principal: principal.to_owned(),
        action: action.to_owned(),
        service: service.to_owned(),
        resource,
        source_ip: source_ip.to_owned(),
        user_agent: user_agent.to_owned(),
        outcome,
        error_code,
        event_id: non_empty(&record.id).unwrap_or("").to_owned(),
        position: position.clone(),
    })
}

/// The outcome of an authorization decision and a `result.status`.
pub fn outcome(granted: Option<bool>, status: Option<&str>) -> Outcome {
    if granted == Some(false) {
        return Outcome::Denied;
    }
    match status {
        None => Outcome::Success,
        Some(s) if s.eq_ignore_ascii_case("SUCCESS") => Outcome::Success,
        Some(s)
            if [
                "UNAUTHENTICATED",
                "UNAUTHORIZED",
                "PERMISSION_DENIED",
                "DENIED",
            ]
            .iter()
            .any(|d| s.eq_ignore_ascii_case(d)) =>
        {
            Outcome::Denied
        }
        Some(_) => Outcome::Failure,
    }
}

/// What kind of identity a Confluent principal is: `User:u-...` a user, `User:sa-...` a
/// service account, `User:pool-...` (identity pool) a service account, anything else unknown.
pub fn principal_type(principal: &str) -> PrincipalType {
    let id = principal.strip_prefix("User:").unwrap_or(principal);
    if id.starts_with("sa-") || id.starts_with("pool-") {
        PrincipalType::ServiceAccount
    } else if id.starts_with("u-") || id.contains('@') || principal.starts_with("User:") {
        PrincipalType::User
    } else {
        PrincipalType::Unknown
    }
}
