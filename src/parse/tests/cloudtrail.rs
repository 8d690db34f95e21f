use super::{ok, parse};
use crate::event::{Outcome, PrincipalType, SourceFamily};
use crate::parse::cloudtrail::is_denial;
use crate::parse::{Format, ParseError};

fn record(identity: &str, extra: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","userIdentity":{identity},"eventTime":"2024-08-01T13:33:28Z",
        "eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1",
        "sourceIPAddress":"1.2.3.4","userAgent":"aws-cli/2",{extra}
        "requestParameters":{{"policyArn":"arn:aws:iam::aws:policy/Admin","userName":"bob"}},
        "responseElements":null,"eventID":"id-1","tlsDetails":{{"a":[1,2]}}}}"#
    )
}

const IAM_USER: &str = r#"{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::1:user/alice","accountId":"1","userName":"alice"}"#;

fn principal(identity: &str) -> (String, PrincipalType) {
    let e = ok(Format::Cloudtrail, &record(identity, ""));
    (e.principal, e.principal_type)
}

#[test]
fn parse_cloudtrail_maps_every_field() {
    let e = ok(Format::Cloudtrail, &record(IAM_USER, ""));
    assert_eq!(e.time_ns, 1_722_519_208_000_000_000);
    assert_eq!(e.source, SourceFamily::Cloudtrail);
    assert_eq!(
        (e.principal.as_str(), e.principal_type),
        ("alice", PrincipalType::User)
    );
    assert_eq!(e.action, "AttachUserPolicy");
    assert_eq!(e.service, "iam.amazonaws.com");
    assert_eq!(e.resource, "bob", "userName ranks before policyArn");
    assert_eq!(e.source_ip, "1.2.3.4");
    assert_eq!(e.user_agent, "aws-cli/2");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.error_code, None);
    assert_eq!(e.event_id, "id-1");
    assert_eq!(ok(Format::Auto, &record(IAM_USER, "")), e);
}

#[test]
fn parse_cloudtrail_principals() {
    use PrincipalType::*;
    let cases = [
        (
            r#"{"type":"IAMUser","arn":"arn:aws:iam::1:user/path/carol"}"#,
            "carol",
            User,
        ),
        (
            r#"{"type":"AssumedRole","principalId":"AROA:sess","arn":"arn:aws:sts::1:assumed-role/Admin/sess",
            "sessionContext":{"sessionIssuer":{"type":"Role","userName":"Admin"}}}"#,
            "Admin/sess",
            AssumedRole,
        ),
        (
            r#"{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s"}"#,
            "R/s",
            AssumedRole,
        ),
        (
            r#"{"type":"Root","arn":"arn:aws:iam::1:root","principalId":"1"}"#,
            "root",
            Root,
        ),
        (
            r#"{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}"#,
            "ec2.amazonaws.com",
            Service,
        ),
        (
            r#"{"type":"FederatedUser","arn":"arn:aws:sts::1:federated-user/fed"}"#,
            "fed",
            User,
        ),
        (
            r#"{"type":"AWSAccount","accountId":"999","principalId":"AIDX"}"#,
            "999",
            Unknown,
        ),
        (
            r#"{"type":"IdentityCenterUser","userName":"dana"}"#,
            "dana",
            User,
        ),
        (r#"{"type":"SAMLUser","principalId":"p:x"}"#, "p:x", User),
        (
            r#"{"type":"Unknown","userName":"HIDDEN"}"#,
            "HIDDEN",
            Unknown,
        ),
        (
            r#"{"arn":"arn:aws:sts::1:assumed-role/R/s2"}"#,
            "R/s2",
            AssumedRole,
        ),
    ];
    for (identity, name, t) in cases {
        assert_eq!(principal(identity), (name.to_owned(), t), "{identity}");
    }
    assert_eq!(
        parse(Format::Cloudtrail, &record(r#"{"type":"IAMUser"}"#, "")),
        Err(ParseError::MissingField("userIdentity.principalId"))
    );
    let no_identity = record(IAM_USER, "").replace(r#""userIdentity""#, r#""otherIdentity""#);
    assert_eq!(
        parse(Format::Cloudtrail, &no_identity),
        Err(ParseError::MissingField("userIdentity"))
    );
}

#[test]
fn parse_cloudtrail_outcomes() {
    for (code, outcome) in [
        ("AccessDenied", Outcome::Denied),
        ("AccessDeniedException", Outcome::Denied),
        ("Client.UnauthorizedOperation", Outcome::Denied),
        ("UnauthorizedOperation", Outcome::Denied),
        ("Forbidden", Outcome::Denied),
        ("InvalidClientTokenId", Outcome::Denied),
        ("NoSuchEntity", Outcome::Failure),
        ("EntityTemporarilyUnmodifiableException", Outcome::Failure),
    ] {
        let extra = format!(r#""errorCode":"{code}","errorMessage":"m","#);
        let e = ok(Format::Cloudtrail, &record(IAM_USER, &extra));
        assert_eq!(e.outcome, outcome, "{code}");
        assert_eq!(e.error_code.as_deref(), Some(code));
    }
    assert!(!is_denial("ThrottlingException"));
    let login = |result: &str| {
        record(IAM_USER, "")
            .replace("AttachUserPolicy", "ConsoleLogin")
            .replace(
                r#""responseElements":null"#,
                &format!(r#""responseElements":{{"ConsoleLogin":"{result}"}}"#),
            )
    };
    assert_eq!(
        ok(Format::Cloudtrail, &login("Failure")).outcome,
        Outcome::Failure
    );
    assert_eq!(
        ok(Format::Cloudtrail, &login("Success")).outcome,
        Outcome::Success
    );
}

#[test]
fn parse_cloudtrail_resources() {
    let with_arn = record(
        IAM_USER,
        r#""resources":[{"accountId":"1","type":"AWS::IAM::User","ARN":"arn:aws:iam::1:user/bob"},{"ARN":"x"}],"#,
    );
    assert_eq!(
        ok(Format::Cloudtrail, &with_arn).resource,
        "arn:aws:iam::1:user/bob"
    );
    let no_params = record(IAM_USER, "").replace(r#""requestParameters""#, r#""other""#);
    assert_eq!(ok(Format::Cloudtrail, &no_params).resource, "");
    let odd = record(IAM_USER, "").replace(
        r#""policyArn":"arn:aws:iam::aws:policy/Admin","userName":"bob""#,
        r#""bucketName":{"nested":1},"instanceId":"i-1""#,
    );
    assert_eq!(ok(Format::Cloudtrail, &odd).resource, "i-1");
}

#[test]
fn parse_cloudtrail_eventbridge_envelope() {
    let inner = record(IAM_USER, "");
    let env = format!(
        r#"{{"version":"0","id":"e","detail-type":"AWS API Call via CloudTrail","source":"aws.iam",
        "resources":["arn:aws:iam::1:user/x"],"time":"2024-08-01T13:33:29Z","detail":{inner}}}"#
    );
    for format in [Format::Cloudtrail, Format::Auto] {
        assert_eq!(ok(format, &env), ok(format, &inner));
    }
    let other = r#"{"detail-type":"Scheduled Event","source":"aws.events","detail":{},"resources":["arn:x"]}"#;
    assert_eq!(
        parse(Format::Auto, other),
        Err(ParseError::NotAuditRecord("Scheduled Event".into()))
    );
    assert_eq!(
        parse(Format::Auto, r#"{"a":1}"#),
        Err(ParseError::UnknownFamily)
    );
    assert_eq!(
        parse(Format::Cloudtrail, r#"{"a":1}"#),
        Err(ParseError::MissingField("userIdentity"))
    );
}

#[test]
fn parse_cloudtrail_logstash_timestamp_and_escapes() {
    let raw = record(IAM_USER, "")
        .replace(
            r#""eventTime":"2024-08-01T13:33:28Z""#,
            r#""@timestamp":"2024-08-01T13:33:28.000Z""#,
        )
        .replace("aws-cli/2", r#"Boto3/1.9 \"quoted\" \/path\ttab"#);
    let e = ok(Format::Auto, &raw);
    assert_eq!(e.time_ns, 1_722_519_208_000_000_000);
    assert_eq!(e.user_agent, "Boto3/1.9 \"quoted\" /path\ttab");
}
