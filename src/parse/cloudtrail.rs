//! AWS CloudTrail records, bare or inside an EventBridge envelope (`detail-type` +
//! `detail`).
//!
//! Mapping: time = `eventTime` (logstash exports that renamed it: `@timestamp`); action =
//! `eventName`; service = `eventSource`; source IP = `sourceIPAddress`; user agent =
//! `userAgent`; event id = `eventID`; error code = `errorCode`; resource = `resources[0].ARN`,
//! else a name from `requestParameters` ([`RESOURCE_KEYS`]); principal from `userIdentity`
//! (rules in `identity::principal`); outcome from [`outcome`].

use super::diagnose::{find_wrong_type, Kind};
use super::identity;
use super::json::{contains_ignore_case, from_record, non_empty, or_empty, First, LenientStr, Str};
use super::{ParseError, ParseResult};
use crate::event::time::parse_rfc3339_ns;
use crate::event::{AuditEvent, Outcome, Position, SourceFamily};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// A CloudTrail record; at top level it may also be an EventBridge envelope.
#[derive(Deserialize)]
pub(crate) struct Record<'a> {
    #[serde(rename = "eventTime", borrow)]
    event_time: Option<Str<'a>>,
    #[serde(rename = "@timestamp", borrow)]
    at_timestamp: Option<Str<'a>>,
    #[serde(rename = "eventVersion", borrow)]
    event_version: Option<Str<'a>>,
    #[serde(rename = "eventName", borrow)]
    event_name: Option<Str<'a>>,
    #[serde(rename = "eventSource", borrow)]
    event_source: Option<Str<'a>>,
    #[serde(rename = "eventID", borrow)]
    event_id: Option<Str<'a>>,
    #[serde(rename = "sourceIPAddress", borrow)]
    source_ip: Option<Str<'a>>,
    #[serde(rename = "userAgent", borrow)]
    user_agent: Option<Str<'a>>,
    #[serde(rename = "errorCode", borrow)]
    error_code: Option<Str<'a>>,
    #[serde(rename = "userIdentity", borrow)]
    user_identity: Option<identity::UserIdentity<'a>>,
    #[serde(borrow)]
    resources: Option<First<ResourceRef<'a>>>,
    #[serde(rename = "requestParameters", borrow, default)]
    request_parameters: Option<RequestName<'a>>,
    #[serde(rename = "responseElements", borrow, default)]
    response_elements: Option<ConsoleLoginResult<'a>>,
    #[serde(rename = "detail-type", borrow)]
    detail_type: Option<Str<'a>>,
    #[serde(borrow)]
    detail: Option<Box<Record<'a>>>,
}

impl Record<'_> {
    /// True when the record carries CloudTrail's own fields (not only an envelope).
    fn is_cloudtrail(&self) -> bool {
        self.user_identity.is_some() || self.event_source.is_some() || self.event_version.is_some()
    }
}

/// `resources[0]`: an object with `ARN` (CloudTrail) or a bare ARN string (EventBridge).
#[derive(Default)]
pub(crate) struct ResourceRef<'a>(Option<Str<'a>>);

/// The best resource name found among `requestParameters`' top-level string fields.
#[derive(Default)]
pub(crate) struct RequestName<'a>(Option<(usize, Str<'a>)>);

/// `responseElements.ConsoleLogin` (`Success` / `Failure`), any other content ignored.
#[derive(Default)]
pub(crate) struct ConsoleLoginResult<'a>(Option<Str<'a>>);

/// `requestParameters` keys naming the resource acted on, best first.
pub const RESOURCE_KEYS: &[&str] = &[
    "userName",
    "roleName",
    "policyArn",
    "groupName",
    "bucketName",
    "instanceId",
    "functionName",
    "secretId",
    "name",
    "trailName",
    "keyId",
    "snapshotId",
    "imageId",
    "dBInstanceIdentifier",
    "dBSnapshotIdentifier",
    "clusterName",
    "roleArn",
    "resourceArn",
    "topicArn",
    "queueUrl",
    "stackName",
    "tableName",
    "logGroupName",
    "detectorId",
    "groupId",
    "vpcId",
    "hostedZoneId",
];

/// A lenient reader of one JSON value: objects are scanned key by key, strings may count,
/// every other shape reads as the default.
trait Scan<'de>: Default + Sized {
    /// Whether the value under `key` is wanted (then passed to [`Scan::value`]).
    fn wants(&self, key: &str) -> bool;
    /// A wanted value (only strings are kept).
    fn value(&mut self, key: &str, value: LenientStr<'de>);
    /// The value when the whole JSON value is a string.
    fn string(_s: Str<'de>) -> Self {
        Self::default()
    }
}

struct ScanVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Scan<'de>> Visitor<'de> for ScanVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut out = T::default();
        while let Some(key) = map.next_key::<Str<'de>>()? {
            if out.wants(&key.0) {
                let v = map.next_value::<LenientStr<'de>>()?;
                out.value(&key.0, v);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(out)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<T, E> {
        Ok(T::string(Str(std::borrow::Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::string(Str(std::borrow::Cow::Owned(v.to_owned()))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(T::default())
    }
}

macro_rules! lenient_deserialize {
    ($t:ident) => {
        impl<'de: 'a, 'a> Deserialize<'de> for $t<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(ScanVisitor::<$t<'de>>(std::marker::PhantomData))
            }
        }
    };
}
lenient_deserialize!(ResourceRef);
lenient_deserialize!(RequestName);
lenient_deserialize!(ConsoleLoginResult);

impl<'de> Scan<'de> for ResourceRef<'de> {
    fn wants(&self, key: &str) -> bool {
        self.0.is_none() && (key == "ARN" || key == "arn")
    }
    fn value(&mut self, _: &str, value: LenientStr<'de>) {
        self.0 = value.0;
    }
    fn string(s: Str<'de>) -> Self {
        ResourceRef(Some(s))
    }
}

impl<'de> Scan<'de> for RequestName<'de> {
    fn wants(&self, key: &str) -> bool {
        let best = self.0.as_ref().map_or(usize::MAX, |(rank, _)| *rank);
        RESOURCE_KEYS[..best.min(RESOURCE_KEYS.len())].contains(&key)
    }
    fn value(&mut self, key: &str, value: LenientStr<'de>) {
        if let (Some(rank), Some(v)) = (RESOURCE_KEYS.iter().position(|k| *k == key), value.0) {
            if !v.0.is_empty() {
                self.0 = Some((rank, v));
            }
        }
    }
}

impl<'de> Scan<'de> for ConsoleLoginResult<'de> {
    fn wants(&self, key: &str) -> bool {
        key == "ConsoleLogin"
    }
    fn value(&mut self, _: &str, value: LenientStr<'de>) {
        self.0 = value.0;
    }
}

macro_rules! ct_checks {
    ($($path:literal => $kind:ident),* $(,)?) => {
        &[$(($path, Kind::$kind)),*, ("detail", Kind::Obj), $((concat!("detail.", $path), Kind::$kind)),*]
    };
}

const CHECKS: &[(&str, Kind)] = ct_checks![
    "eventTime" => Str,
    "@timestamp" => Str,
    "eventVersion" => Str,
    "eventName" => Str,
    "eventSource" => Str,
    "eventID" => Str,
    "sourceIPAddress" => Str,
    "userAgent" => Str,
    "errorCode" => Str,
    "resources" => Arr,
    "userIdentity" => Obj,
    "userIdentity.type" => Str,
    "userIdentity.principalId" => Str,
    "userIdentity.arn" => Str,
    "userIdentity.accountId" => Str,
    "userIdentity.userName" => Str,
    "userIdentity.invokedBy" => Str,
    "userIdentity.sessionContext" => Obj,
    "userIdentity.sessionContext.sessionIssuer" => Obj,
    "userIdentity.sessionContext.sessionIssuer.userName" => Str,
    "detail-type" => Str,
];

fn diagnose(raw: &[u8]) -> Option<ParseError> {
    find_wrong_type(raw, CHECKS)
}

/// Parses one CloudTrail record or EventBridge envelope (UTF-8 and JSON are checked here).
///
/// An envelope whose `detail` is not a CloudTrail record (GuardDuty finding, scheduled
/// event, ...) is [`ParseError::NotAuditRecord`]. A bare object with neither CloudTrail
/// fields nor an envelope is `MissingField("userIdentity")`, or
/// [`ParseError::UnknownFamily`] when `auto` is set.
pub fn parse_cloudtrail(raw: &[u8], position: &Position) -> ParseResult {
    parse_with(raw, position, false)
}

pub(crate) fn parse_with(raw: &[u8], position: &Position, auto: bool) -> ParseResult {
    let top: Record<'_> = from_record(raw, diagnose)?;
    if top.is_cloudtrail() {
        return map(&top, position);
    }
    let not_audit = || {
        let kind = non_empty(&top.detail_type).unwrap_or("EventBridge event");
        ParseError::NotAuditRecord(kind.to_owned())
    };
    match &top.detail {
        Some(d) if d.is_cloudtrail() => map(d, position),
        Some(_) => Err(not_audit()),
        None if top.detail_type.is_some() => Err(not_audit()),
        None if auto => Err(ParseError::UnknownFamily),
        None => Err(ParseError::MissingField("userIdentity")),
    }
}

fn map(rec: &Record<'_>, position: &Position) -> ParseResult {
    let ts = non_empty(&rec.event_time)
        .or_else(|| non_empty(&rec.at_timestamp))
        .ok_or(ParseError::MissingField("eventTime"))?;
    let time_ns = parse_rfc3339_ns(ts).ok_or_else(|| ParseError::BadTimestamp(ts.to_owned()))?;
    let ui = rec
        .user_identity
        .as_ref()
        .ok_or(ParseError::MissingField("userIdentity"))?;
    let (principal, principal_type) =
        identity::principal(ui).ok_or(ParseError::MissingField("userIdentity.principalId"))?;
    let action = non_empty(&rec.event_name).ok_or(ParseError::MissingField("eventName"))?;
    let service = non_empty(&rec.event_source).ok_or(ParseError::MissingField("eventSource"))?;
    let error_code = non_empty(&rec.error_code);
    let console = rec.response_elements.as_ref().and_then(|r| non_empty(&r.0));
    let resource = rec
        .resources
        .as_ref()
        .and_then(|r| r.0.as_ref())
        .and_then(|r| non_empty(&r.0))
        .or_else(|| {
            let (_, name) = rec.request_parameters.as_ref()?.0.as_ref()?;
            Some(&*name.0)
        })
        .unwrap_or_default();
    Ok(AuditEvent {
        time_ns,
        source: SourceFamily::Cloudtrail,
        principal,
        principal_type,
        action: action.to_owned(),
        service: service.to_owned(),
        resource: resource.to_owned(),
        source_ip: or_empty(&rec.source_ip),
        user_agent: or_empty(&rec.user_agent),
        outcome: outcome(action, error_code, console),
        error_code: error_code.map(str::to_owned),
        event_id: or_empty(&rec.event_id),
        position: position.clone(),
    })
}

/// The outcome of a CloudTrail call: no `errorCode` is a success (except a `ConsoleLogin`
/// whose `responseElements.ConsoleLogin` is `Failure`); an error code meaning refused
/// authorization or authentication ([`is_denial`]) is denied; any other is a failure.
pub fn outcome(event_name: &str, error_code: Option<&str>, console_login: Option<&str>) -> Outcome {
    match error_code {
        Some(code) if is_denial(code) => Outcome::Denied,
        Some(_) => Outcome::Failure,
        None if event_name == "ConsoleLogin" && console_login == Some("Failure") => {
            Outcome::Failure
        }
        None => Outcome::Success,
    }
}

/// True for error codes that mean the caller was refused: anything containing
/// `AccessDenied`, `Unauthorized`, `NotAuthorized` or `Forbidden` (any case), and the
/// authentication failures `AuthFailure`, `InvalidClientTokenId`, `SignatureDoesNotMatch`,
/// `UnrecognizedClientException`, `MissingAuthenticationToken`.
pub fn is_denial(code: &str) -> bool {
    const EXACT: &[&str] = &[
        "AuthFailure",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
        "MissingAuthenticationToken",
    ];
    EXACT.contains(&code)
        || ["AccessDenied", "Unauthorized", "NotAuthorized", "Forbidden"]
            .iter()
            .any(|n| contains_ignore_case(code, n))
}
