//! AWS WAF web ACL logs: one JSON object per inspected request (schema: AWS WAF Developer
//! Guide, "Log fields for web ACL traffic").
//!
//! WAF knows no identity, so the principal is the client: `httpRequest.clientIp`
//! ([`PrincipalType::Unknown`]). Mapping: time = `timestamp` (milliseconds); action =
//! `httpMethod` and the first two segments of the `uri` path, segments holding a digit
//! written `*` (`GET /api/orders`, `DELETE /users/*`), so that the action names an endpoint
//! rather than one request; service = `httpSourceName/httpSourceId` (`ALB/123-app/my-alb`),
//! else `webaclId`; resource = the `uri` as logged; source IP = `clientIp`; user agent = the
//! `User-Agent` header; event id = `httpRequest.requestId`.
//!
//! Outcome: `BLOCK` is denied, `CAPTCHA` and `CHALLENGE` (request not served) a failure,
//! `ALLOW` and `COUNT` a success unless `responseCodeSent` is 400 or more (a failure). The
//! error code is the terminating rule for a `BLOCK`, `CAPTCHA` or `CHALLENGE`, else the
//! response code.

use super::json::{from_record, non_empty, Str};
use super::{ParseError, ParseResult};
use crate::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
use serde::Deserialize;

/// One WAF log record, as far as AuditFlow reads it (shared with field monitors).
#[derive(Deserialize)]
pub(crate) struct Record<'a> {
    pub timestamp: Option<i64>,
    #[serde(borrow)]
    pub action: Option<Str<'a>>,
    #[serde(rename = "webaclId", borrow)]
    pub webacl_id: Option<Str<'a>>,
    #[serde(rename = "terminatingRuleId", borrow)]
    pub terminating_rule_id: Option<Str<'a>>,
    #[serde(rename = "httpSourceName", borrow)]
    pub http_source_name: Option<Str<'a>>,
    #[serde(rename = "httpSourceId", borrow)]
    pub http_source_id: Option<Str<'a>>,
    #[serde(rename = "responseCodeSent")]
    pub response_code_sent: Option<i64>,
    #[serde(rename = "httpRequest", borrow)]
    pub http_request: Option<HttpRequest<'a>>,
}

/// The `httpRequest` object.
#[derive(Deserialize)]
pub(crate) struct HttpRequest<'a> {
    #[serde(rename = "clientIp", borrow)]
    pub client_ip: Option<Str<'a>>,
    #[serde(borrow)]
    pub country: Option<Str<'a>>,
    #[serde(borrow)]
    pub uri: Option<Str<'a>>,
    #[serde(rename = "httpMethod", borrow)]
    pub http_method: Option<Str<'a>>,
    #[serde(rename = "requestId", borrow)]
    pub request_id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub headers: Vec<Header<'a>>,
}

/// One request header.
#[derive(Deserialize)]
pub(crate) struct Header<'a> {
    #[serde(borrow)]
    pub name: Option<Str<'a>>,
    #[serde(borrow)]
    pub value: Option<Str<'a>>,
}

/// The fields of a WAF record that field monitors watch.
pub(crate) struct Watched<'r> {
    pub action: Option<&'r str>,
    pub rule: Option<&'r str>,
    pub status: Option<i64>,
    pub country: Option<&'r str>,
    pub method: Option<&'r str>,
    pub uri: Option<&'r str>,
}

impl Record<'_> {
    /// The fields monitors watch, empty strings counting as absent.
    pub(crate) fn watched(&self) -> Watched<'_> {
        let request = self.http_request.as_ref();
        Watched {
            action: non_empty(&self.action),
            rule: non_empty(&self.terminating_rule_id),
            status: self.response_code_sent,
            country: request.and_then(|r| non_empty(&r.country)),
            method: request.and_then(|r| non_empty(&r.http_method)),
            uri: request.and_then(|r| non_empty(&r.uri)),
        }
    }
}

/// Reads a WAF record's fields (UTF-8 and JSON are checked here).
pub(crate) fn read(raw: &[u8]) -> Result<Record<'_>, ParseError> {
    from_record(raw, |_| None)
}

/// Parses one AWS WAF log record.
pub fn parse_waf(raw: &[u8], position: &Position) -> ParseResult {
    event_of(&read(raw)?, position)
}

/// The normalized event of a read WAF record (so a caller that also needs the record's
/// other fields, as field monitors do, reads it once).
pub(crate) fn event_of(record: &Record<'_>, position: &Position) -> ParseResult {
    let ms = record
        .timestamp
        .ok_or(ParseError::MissingField("timestamp"))?;
    let time_ns = ms
        .checked_mul(1_000_000)
        .ok_or_else(|| ParseError::BadTimestamp(ms.to_string()))?;
    let verdict = non_empty(&record.action).ok_or(ParseError::MissingField("action"))?;
    let request = record
        .http_request
        .as_ref()
        .ok_or(ParseError::MissingField("httpRequest"))?;
    let client =
        non_empty(&request.client_ip).ok_or(ParseError::MissingField("httpRequest.clientIp"))?;
    let method = non_empty(&request.http_method).unwrap_or("-");
    let uri = non_empty(&request.uri).unwrap_or("/");
    let service = match (
        non_empty(&record.http_source_name),
        non_empty(&record.http_source_id),
    ) {
        (Some(name), Some(id)) => format!("{name}/{id}"),
        (Some(name), None) => name.to_owned(),
        _ => non_empty(&record.webacl_id).unwrap_or("").to_owned(),
    };
    let user_agent = request
        .headers
        .iter()
        .find(|h| {
            h.name
                .as_ref()
                .is_some_and(|n| n.0.eq_ignore_ascii_case("user-agent"))
        })
        .and_then(|h| non_empty(&h.value))
        .unwrap_or("");
    let status = record.response_code_sent;
    let outcome = outcome(verdict, status);
    let error_code = match outcome {
        Outcome::Success => None,
        _ if !verdict.eq_ignore_ascii_case("ALLOW") && !verdict.eq_ignore_ascii_case("COUNT") => {
            Some(
                non_empty(&record.terminating_rule_id)
                    .unwrap_or(verdict)
                    .to_owned(),
            )
        }
        _ => status.map(|s| s.to_string()),
    };
    Ok(AuditEvent {
        time_ns,
        source: SourceFamily::Waf,
        principal: client.to_owned(),
        principal_type: PrincipalType::Unknown,
        action: endpoint(method, uri),
        service,
        resource: uri.to_owned(),
        source_ip: client.to_owned(),
        user_agent: user_agent.to_owned(),
        outcome,
        error_code,
        event_id: non_empty(&request.request_id).unwrap_or("").to_owned(),
        position: position.clone(),
    })
}

/// The outcome of a WAF `action` and `responseCodeSent`.
pub fn outcome(action: &str, response_code: Option<i64>) -> Outcome {
    if action.eq_ignore_ascii_case("BLOCK") {
        Outcome::Denied
    } else if action.eq_ignore_ascii_case("CAPTCHA")
        || action.eq_ignore_ascii_case("CHALLENGE")
        || response_code.is_some_and(|c| c >= 400)
    {
        // Not served (a challenge), or answered with an error.
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// `METHOD /seg1/seg2`: the method and at most two path segments, query dropped, segments
/// with a digit (ids) replaced by `*`.
///
/// ```
/// use auditflow::parse::waf::endpoint;
/// assert_eq!(endpoint("GET", "/api/orders/12345/items?x=1"), "GET /api/orders");
/// assert_eq!(endpoint("DELETE", "/users/u42"), "DELETE /users/*");
/// assert_eq!(endpoint("GET", "/"), "GET /");
/// ```
pub fn endpoint(method: &str, uri: &str) -> String {
    let path = uri.split(['?', '#']).next().unwrap_or("");
    let mut out = String::with_capacity(method.len() + 1 + path.len().min(64));
    out.push_str(method);
    out.push(' ');
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).take(2).collect();
    if segments.is_empty() {
        out.push('/');
    }
    for segment in segments {
        out.push('/');
        if segment.bytes().any(|b| b.is_ascii_digit()) {
            out.push('*');
        } else {
            out.push_str(segment);
        }
    }
    out
}
