//! Every GCP and CloudTrail sample under `../shared/data` goes through the sequential reader
//! and the record parser; known records are checked field by field.

use auditflow::event::{AuditEvent, Outcome, PrincipalType};
use auditflow::parse::{parse_record, read_records, Format, ParseError, DEFAULT_MAX_RECORD_BYTES};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// Parsed events and errors of every file under `folder`, by file name.
type Parsed = BTreeMap<String, Vec<Result<AuditEvent, ParseError>>>;

fn parse_folder(folder: &str, format: Format) -> Parsed {
    let mut out = Parsed::new();
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![data_dir().join(folder)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if !path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("LICENSE")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(!files.is_empty(), "no files under {folder}");
    for path in files {
        let name = path
            .strip_prefix(data_dir())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let file = std::fs::File::open(&path).unwrap();
        let mut results = Vec::new();
        let origin: Arc<str> = name.as_str().into();
        read_records(file, origin, DEFAULT_MAX_RECORD_BYTES, &mut |pos, raw| {
            results.push(raw.and_then(|raw| parse_record(format, raw, &pos)));
        });
        out.insert(name, results);
    }
    out
}

fn events(parsed: &Parsed) -> impl Iterator<Item = (&String, &AuditEvent)> {
    parsed.iter().flat_map(|(name, rs)| {
        rs.iter()
            .filter_map(move |r| r.as_ref().ok().map(|e| (name, e)))
    })
}

fn find<'p>(parsed: &'p Parsed, file: &str, pred: impl Fn(&AuditEvent) -> bool) -> &'p AuditEvent {
    events(parsed)
        .find(|(name, e)| name.ends_with(file) && pred(e))
        .map(|(_, e)| e)
        .unwrap_or_else(|| panic!("no matching event in {file}"))
}

/// Files that hold no audit record, with the error each one gets.
const NOT_AUDIT_GCP: &[(&str, &str)] = &[(
    "network-finding.json",
    "unrecognized record: not a GCP LogEntry, CloudTrail, Confluent Cloud or AWS WAF record, nor an auditd line",
)];

const NOT_AUDIT_EVENTBRIDGE: &[(&str, &str)] = &[
    (
        "ec2-duty-event.json",
        "not an audit record: GuardDuty Finding",
    ),
    (
        "iam-duty-event.json",
        "not an audit record: GuardDuty Finding",
    ),
    (
        "event-asg-instance-failed.json",
        "not an audit record: EC2 Instance Launch Unsuccessful",
    ),
    (
        "event-instance-state.json",
        "not an audit record: EC2 Instance State-change Notification",
    ),
    (
        "event-phd-ec2-retire.json",
        "not an audit record: AWS Health Event",
    ),
    (
        "event-scheduled.json",
        "not an audit record: Scheduled Event",
    ),
    (
        "event-securityhub-cloudtrail-finding-action.json",
        "not an audit record: Security Hub Findings - Custom Action",
    ),
    (
        "event-securityhub-iamkey-finding-action.json",
        "not an audit record: Security Hub Findings - Custom Action",
    ),
    (
        "event-securityhub-lambda-cross.json",
        "not an audit record: Security Hub Findings - Custom Action",
    ),
    (
        "event-securityhub-insight-2.json",
        "not an audit record: Security Hub Insight Results",
    ),
    (
        "sqs-discover.json",
        "not an audit record: Config Configuration Item Change",
    ),
    // AWS Config rule invocations: not EventBridge envelopes, not CloudTrail records.
    (
        "event-config-rule-instance.json",
        "unrecognized record: not a GCP LogEntry, CloudTrail, Confluent Cloud or AWS WAF record, nor an auditd line",
    ),
    (
        "event-config-rule-security-group.json",
        "unrecognized record: not a GCP LogEntry, CloudTrail, Confluent Cloud or AWS WAF record, nor an auditd line",
    ),
    // A trimmed CloudTrail record without eventTime nor userIdentity.
    (
        "event-cloud-trail-bedrock-create-customization-jobs.json",
        "missing field eventTime",
    ),
];

/// Every record parses, except the listed non-audit files which fail exactly as listed.
fn assert_clean(parsed: &Parsed, expected_errors: &[(&str, &str)]) {
    for (name, results) in parsed {
        let expected = expected_errors.iter().find(|(f, _)| name.ends_with(f));
        for r in results {
            match (r, expected) {
                (Ok(_), None) => {}
                (Err(e), Some((_, msg))) => assert_eq!(&e.to_string(), msg, "{name}"),
                (r, _) => panic!("{name}: unexpected {r:?}"),
            }
        }
    }
}

fn count(parsed: &Parsed, under: &str) -> usize {
    events(parsed).filter(|(n, _)| n.contains(under)).count()
}

#[test]
fn gcp_samples_all_parse() {
    for format in [Format::Gcp, Format::Auto] {
        let parsed = parse_folder("gcp", format);
        let expected: &[(&str, &str)] = match format {
            Format::Gcp => &[("network-finding.json", "missing field protoPayload")],
            _ => NOT_AUDIT_GCP,
        };
        assert_clean(&parsed, expected);
        // 47 files: 46 LogEntries and one Security Command Center finding.
        assert_eq!(parsed.len(), 47);
        assert_eq!(count(&parsed, "gcp/cloud-custodian"), 46);
        let e = find(&parsed, "iam-role-create.json", |_| true);
        assert_eq!(e.principal, "custodian.gcp.test@gmail.com");
        assert_eq!(e.principal_type, PrincipalType::User);
        assert_eq!(e.action, "google.iam.admin.v1.CreateRole");
        assert_eq!(e.service, "iam.googleapis.com");
        assert_eq!(e.source_ip, "188.163.232.130");
        assert_eq!(
            e.resource,
            "projects/mythic-tribute-232915/roles/CustomRole1"
        );
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(e.error_code, None);
        assert_eq!(e.time_ns, 1_559_560_372_484_722_728);
        let k8s = find(&parsed, "k8s_create_cluster.json", |_| true);
        assert_eq!(k8s.principal_type, PrincipalType::Service);
    }
}

#[test]
fn cloudtrail_samples_all_parse() {
    for format in [Format::Cloudtrail, Format::Auto] {
        let parsed = parse_folder("cloudtrail", format);
        let mut expected = NOT_AUDIT_EVENTBRIDGE.to_vec();
        if format == Format::Cloudtrail {
            for e in expected
                .iter_mut()
                .filter(|(f, _)| f.starts_with("event-config-rule"))
            {
                e.1 = "missing field userIdentity";
            }
        }
        assert_clean(&parsed, &expected);
        assert_eq!(count(&parsed, "stratus-red-team/"), 310);
        assert_eq!(count(&parsed, "otrf/"), 103);
        // 37 files, 23 of which hold a (bare or EventBridge-wrapped) CloudTrail record.
        assert_eq!(
            parsed.keys().filter(|n| n.contains("eventbridge/")).count(),
            37
        );
        assert_eq!(count(&parsed, "eventbridge/"), 23);

        let e = find(&parsed, "aws.persistence.iam-create-admin-user.json", |e| {
            e.action == "AttachUserPolicy"
        });
        assert_eq!(e.principal, "christophe");
        assert_eq!(e.principal_type, PrincipalType::User);
        assert_eq!(e.service, "iam.amazonaws.com");
        assert_eq!(e.source_ip, "075.050.255.67");
        assert_eq!(e.outcome, Outcome::Success);

        let e = find(
            &parsed,
            "aws.defense-evasion.organizations-leave.json",
            |e| e.action == "LeaveOrganization",
        );
        assert_eq!(
            e.principal,
            "stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000"
        );
        assert_eq!(e.principal_type, PrincipalType::AssumedRole);
        assert_eq!(e.source_ip, "252.5.222.230");
        assert_eq!(e.outcome, Outcome::Denied);
        assert_eq!(e.error_code.as_deref(), Some("AccessDenied"));
        assert_eq!(e.event_id, "16903cbd-fdff-4818-82f2-d66ad09aaf57");

        let e = find(
            &parsed,
            "aws.credential-access.ec2-get-password-data.json",
            |e| e.event_id == "450230d4-b39e-4a18-a6a0-d07a6e2105cb",
        );
        assert_eq!(e.outcome, Outcome::Denied);
        assert_eq!(
            e.error_code.as_deref(),
            Some("Client.UnauthorizedOperation")
        );

        let e = find(&parsed, "aws.persistence.sts-federation-token.json", |e| {
            e.action == "GetCallerIdentity"
        });
        assert_eq!(e.principal, "stratus_red_team");
        assert_eq!(e.principal_type, PrincipalType::User);

        // EventBridge envelope around a root user's CreateBucket.
        let e = find(&parsed, "event-cloud-trail-create-bucket.json", |_| true);
        assert_eq!(e.principal, "root");
        assert_eq!(e.principal_type, PrincipalType::Root);
        assert_eq!(e.action, "CreateBucket");
        assert_eq!(e.service, "s3.amazonaws.com");
        assert_eq!(e.resource, "custodian-create-bucket-v4");
        assert_eq!(e.source_ip, "204.63.44.148");
        assert_eq!(e.outcome, Outcome::Success);

        let e = find(
            &parsed,
            "event-transit-gateway-delete-vpc-attachment.json",
            |_| true,
        );
        assert_eq!(e.principal, "c7nbot/pmuniswamy");
        assert_eq!(e.principal_type, PrincipalType::AssumedRole);
        assert_eq!(e.source_ip, "AWS Internal");

        // logstash export: no eventTime, @timestamp instead; AWS services as callers.
        let e = find(
            &parsed,
            "ec2_proxy_s3_exfiltration_2020-09-14011940.json",
            |e| e.principal_type == PrincipalType::Service,
        );
        assert!(e.principal.ends_with("amazonaws.com"), "{}", e.principal);
    }
}
