use super::{ok, parse};
use crate::event::{Outcome, PrincipalType, SourceFamily};
use crate::parse::gcp::principal_type;
use crate::parse::{Format, ParseError};

fn entry(auth: &str, status: &str) -> String {
    format!(
        r#"{{"insertId":"abc","timestamp":"2019-06-03T11:12:52.484722728Z","logName":"x",
        "protoPayload":{{"@type":"t",{status}"authenticationInfo":{auth},
        "requestMetadata":{{"callerIp":"1.2.3.4","callerSuppliedUserAgent":"ua/1"}},
        "serviceName":"iam.googleapis.com","methodName":"google.iam.admin.v1.CreateRole",
        "resourceName":"projects/p/roles/r","extra":[1,{{"a":null}}]}}}}"#
    )
}

const ALICE: &str = r#"{"principalEmail":"alice@example.com"}"#;

#[test]
fn parse_gcp_maps_every_field() {
    let e = ok(Format::Gcp, &entry(ALICE, ""));
    assert_eq!(e.time_ns, 1_559_560_372_484_722_728);
    assert_eq!(e.source, SourceFamily::Gcp);
    assert_eq!(e.principal, "alice@example.com");
    assert_eq!(e.principal_type, PrincipalType::User);
    assert_eq!(e.action, "google.iam.admin.v1.CreateRole");
    assert_eq!(e.service, "iam.googleapis.com");
    assert_eq!(e.resource, "projects/p/roles/r");
    assert_eq!(e.source_ip, "1.2.3.4");
    assert_eq!(e.user_agent, "ua/1");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.error_code, None);
    assert_eq!(e.event_id, "abc");
    assert_eq!(ok(Format::Auto, &entry(ALICE, "")), e);
}

#[test]
fn parse_gcp_outcome_from_status_code() {
    let cases = [
        ("", Outcome::Success, None),
        (r#""status":{},"#, Outcome::Success, None),
        (r#""status":null,"#, Outcome::Success, None),
        (r#""status":{"code":0},"#, Outcome::Success, None),
        (
            r#""status":{"code":7,"message":"denied"},"#,
            Outcome::Denied,
            Some("7"),
        ),
        (r#""status":{"code":16},"#, Outcome::Denied, Some("16")),
        (
            r#""status":{"code":5,"message":"NOT_FOUND"},"#,
            Outcome::Failure,
            Some("5"),
        ),
        (r#""status":{"code":3},"#, Outcome::Failure, Some("3")),
    ];
    for (status, outcome, code) in cases {
        let e = ok(Format::Gcp, &entry(ALICE, status));
        assert_eq!(e.outcome, outcome, "{status}");
        assert_eq!(e.error_code.as_deref(), code, "{status}");
    }
}

#[test]
fn parse_gcp_principal_fallbacks() {
    let subject = r#"{"principalSubject":"user:bob@example.com"}"#;
    assert_eq!(
        ok(Format::Gcp, &entry(subject, "")).principal,
        "user:bob@example.com"
    );
    let empty_email = r#"{"principalEmail":"","principalSubject":"user:bob@example.com"}"#;
    assert_eq!(
        ok(Format::Gcp, &entry(empty_email, "")).principal,
        "user:bob@example.com"
    );
    let delegated = r#"{"serviceAccountDelegationInfo":[{"firstPartyPrincipal":
        {"principalEmail":"sa@p.iam.gserviceaccount.com"}},{"x":1}]}"#;
    let e = ok(Format::Gcp, &entry(delegated, ""));
    assert_eq!(e.principal, "sa@p.iam.gserviceaccount.com");
    assert_eq!(e.principal_type, PrincipalType::ServiceAccount);
    for none in ["{}", r#"{"serviceAccountDelegationInfo":[]}"#] {
        assert_eq!(
            parse(Format::Gcp, &entry(none, "")),
            Err(ParseError::MissingField(
                "protoPayload.authenticationInfo.principalEmail"
            ))
        );
    }
}

#[test]
fn parse_gcp_principal_types() {
    use PrincipalType::*;
    for (p, t) in [
        ("alice@example.com", User),
        ("deploy@my-proj.iam.gserviceaccount.com", ServiceAccount),
        ("123-compute@developer.gserviceaccount.com", ServiceAccount),
        ("system@google.com", Service),
        ("cloud-scheduler@system.gserviceaccount.com", Service),
        ("service-123@gcp-sa-pubsub.iam.gserviceaccount.com", Service),
        ("123@cloudservices.gserviceaccount.com", Service),
        ("system:node:gke-1", Service),
        ("system:serviceaccount:kube-system:default", ServiceAccount),
        ("principal://iam.googleapis.com/pool/x", User),
        ("opaque-id", Unknown),
    ] {
        assert_eq!(principal_type(p), t, "{p}");
    }
}

#[test]
fn parse_gcp_optional_fields_absent() {
    let raw = r#"{"timestamp":"2024-01-01T00:00:00Z","protoPayload":{"serviceName":"s",
        "methodName":"m","authenticationInfo":{"principalEmail":"a@b.c"}}}"#;
    let e = ok(Format::Gcp, raw);
    assert_eq!((e.resource.as_str(), e.source_ip.as_str()), ("", ""));
    assert_eq!((e.user_agent.as_str(), e.event_id.as_str()), ("", ""));
}

#[test]
fn parse_gcp_required_fields() {
    let base = entry(ALICE, "");
    for (from, to, field) in [
        (
            r#""methodName":"google.iam.admin.v1.CreateRole""#,
            r#""methodName":"""#,
            "protoPayload.methodName",
        ),
        (
            r#""serviceName":"iam.googleapis.com""#,
            r#""x":1"#,
            "protoPayload.serviceName",
        ),
        (
            r#""timestamp":"2019-06-03T11:12:52.484722728Z""#,
            r#""y":2"#,
            "timestamp",
        ),
    ] {
        let raw = base.replace(from, to);
        assert_eq!(
            parse(Format::Gcp, &raw),
            Err(ParseError::MissingField(field))
        );
    }
    let bad_ts = base.replace("2019-06-03T11", "2019-06-03X11");
    assert!(matches!(
        parse(Format::Gcp, &bad_ts),
        Err(ParseError::BadTimestamp(_))
    ));
    let ct = r#"{"eventVersion":"1.08","eventSource":"s"}"#;
    assert_eq!(
        parse(Format::Gcp, ct),
        Err(ParseError::MissingField("protoPayload"))
    );
}

#[test]
fn parse_gcp_escaped_strings() {
    let ua = r#"{"principalEmail":"al\u0069ce@example.com"}"#;
    let raw = entry(ua, "").replace("ua/1", r#"Mozilla \"x\" \\ caf\u00e9"#);
    let e = ok(Format::Gcp, &raw);
    assert_eq!(e.principal, "alice@example.com");
    assert_eq!(e.user_agent, "Mozilla \"x\" \\ café");
}
