//! Stratus Red Team coverage: every detonation under
//! `../shared/data/cloudtrail/stratus-red-team` that touches privileged access raises the
//! expected Sigma alerts of the shipped rules (`dataflows/cloudtrail.toml`, which loads
//! `dataflows/rules`), each naming the detonation's actor as the CloudTrail parser resolves
//! it. The detonations judged out of scope raise none. README "Stratus Red Team coverage"
//! shows the same table.

use auditflow::pipeline::plan::plan_source;
use auditflow::pipeline::run::{run_pipeline, AlertStyle, RunOptions};
use auditflow::pipeline::Execution;
use auditflow::sink::Target;
use auditflow::spec::Spec;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const LOGGING_TAMPERING: &str = "c1e7a9b4-2f5d-4c8e-a6b3-9d0f1e2a3b47";
const NETWORK_LOGGING_DELETED: &str = "5186150d-0370-4195-9b66-d78abd5ec7dc";
const ORGANIZATIONS_LEAVE: &str = "84bce05e-3842-4e06-908c-1f629799fbf8";
const SNAPSHOT_SHARED: &str = "fee31fd4-1f66-408c-b575-48bc795efb50";
const CONSOLE_LOGIN_WITHOUT_MFA: &str = "d8010b7f-3266-4ae4-aec1-d16beae08a84";
const SERIAL_CONSOLE_ENABLED: &str = "605381ab-9e32-43fc-b9d6-352599682c74";
const TRUST_POLICY_CHANGED: &str = "3418d9d8-8d91-4228-ad5a-faf23ae7dfc0";
const ACCESS_KEY_CREATED: &str = "9a0b3c5d-7e1f-4a2b-8c6d-4e5f0a1b2c69";
const ADMIN_POLICY_GRANTED: &str = "3f6c1a52-8d0e-4b7a-9f21-5c2e7d9a4b10";
const USER_CREATED: &str = "908701c7-4546-4171-845c-e3a757a949d8";
const LOGIN_PROFILE_CHANGED: &str = "956b14d8-7f93-4497-b1ef-73395d753641";
const LAMBDA_PUBLIC_INVOKE: &str = "07044b57-79a6-46b1-872f-a1e872413309";
const ROLES_ANYWHERE_TRUST_ANCHOR: &str = "d57ce5ae-0993-4ab2-a0ab-54fb7882d6cf";
const FEDERATION_TOKEN: &str = "59766515-24a9-41a1-88f8-79441a71c677";

const CHRISTOPHE: &str = "christophe";

/// Privileged-access detonations: file stem, the rules that must fire, and the principal
/// every one of their alerts must name.
const COVERED: &[(&str, &[&str], &str)] = &[
    (
        "aws.defense-evasion.cloudtrail-delete",
        &[LOGGING_TAMPERING],
        CHRISTOPHE,
    ),
    (
        "aws.defense-evasion.cloudtrail-event-selectors",
        &[LOGGING_TAMPERING],
        CHRISTOPHE,
    ),
    (
        "aws.defense-evasion.cloudtrail-stop",
        &[LOGGING_TAMPERING],
        CHRISTOPHE,
    ),
    (
        "aws.defense-evasion.dns-delete-logs",
        &[NETWORK_LOGGING_DELETED],
        CHRISTOPHE,
    ),
    (
        "aws.defense-evasion.organizations-leave",
        &[ORGANIZATIONS_LEAVE],
        "stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000",
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs",
        &[NETWORK_LOGGING_DELETED],
        CHRISTOPHE,
    ),
    (
        "aws.exfiltration.ec2-share-ami",
        &[SNAPSHOT_SHARED],
        CHRISTOPHE,
    ),
    (
        "aws.exfiltration.ec2-share-ebs-snapshot",
        &[SNAPSHOT_SHARED],
        CHRISTOPHE,
    ),
    (
        "aws.exfiltration.rds-share-snapshot",
        &[SNAPSHOT_SHARED],
        CHRISTOPHE,
    ),
    (
        "aws.initial-access.console-login-without-mfa",
        &[CONSOLE_LOGIN_WITHOUT_MFA],
        "stratus-red-team-nmfalu-jfzdtsvchl",
    ),
    (
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        &[SERIAL_CONSOLE_ENABLED],
        "AWSReservedSSO_account-admin_599c9e90e350d2ff/AWSReservedSSOrandoml3I7nL6f7BmB@gmail.com",
    ),
    (
        "aws.persistence.iam-backdoor-role",
        &[TRUST_POLICY_CHANGED],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.iam-backdoor-user",
        &[ACCESS_KEY_CREATED],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.iam-create-admin-user",
        &[ACCESS_KEY_CREATED, ADMIN_POLICY_GRANTED, USER_CREATED],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.iam-create-backdoor-role",
        &[ADMIN_POLICY_GRANTED],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.iam-create-user-login-profile",
        &[LOGIN_PROFILE_CHANGED],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.lambda-backdoor-function",
        &[LAMBDA_PUBLIC_INVOKE],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.rolesanywhere-create-trust-anchor",
        &[ROLES_ANYWHERE_TRUST_ANCHOR],
        CHRISTOPHE,
    ),
    (
        "aws.persistence.sts-federation-token",
        &[FEDERATION_TOKEN],
        "stratus-red-team-user-federation-user",
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile",
        &[LOGIN_PROFILE_CHANGED],
        CHRISTOPHE,
    ),
];

/// Detonations that do not change or use privileged access, and so raise no rule alert
/// (the baseline scorer may still flag them as unusual for the principal).
const OUT_OF_SCOPE: &[&str] = &[
    // Reading secrets, parameters, user data or a Windows password with the permissions the
    // caller already has: data access, not a change to who may do what.
    "aws.credential-access.ec2-get-password-data",
    "aws.credential-access.secretsmanager-batch-retrieve-secrets",
    "aws.credential-access.secretsmanager-retrieve-secrets",
    "aws.credential-access.ssm-retrieve-securestring-parameters",
    "aws.discovery.ec2-download-user-data",
    // Instance credentials used from elsewhere: visible only by joining the role session's
    // source IP with the instance's, not in any one record.
    "aws.credential-access.ec2-steal-instance-credentials",
    // Running code or sessions on instances and functions through their usual channels.
    "aws.execution.ec2-launch-unusual-instances",
    "aws.execution.ec2-user-data",
    "aws.execution.ssm-send-command",
    "aws.execution.ssm-start-session",
    "aws.lateral-movement.ec2-instance-connect",
    "aws.persistence.lambda-layer-extension",
    "aws.persistence.lambda-overwrite-code",
    // Network exposure and model usage: no identity or permission involved.
    "aws.exfiltration.ec2-security-group-open-port-22-ingress",
    "aws.impact.bedrock-invoke-model",
];

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn stratus() -> PathBuf {
    repo("../shared/data/cloudtrail/stratus-red-team")
}

/// `(rule id, principal)` of every Sigma alert `auditflow run dataflows/cloudtrail.toml`
/// raises on one detonation file.
fn rule_alerts(stem: &str, out: &Path) -> BTreeSet<(String, String)> {
    let mut spec = Spec::load(&repo("dataflows/cloudtrail.toml")).unwrap();
    spec.source.paths = vec![stratus().join(format!("{stem}.json")).display().to_string()];
    let report = run_pipeline(RunOptions {
        input: plan_source(&spec.source).unwrap(),
        spec,
        alerts: Some(Target::File(out.join("alerts.jsonl"))),
        alert_style: AlertStyle::Json,
        scores: None,
        dead_letter: Target::File(out.join("dead.jsonl")),
        late: None,
        collect: true,
        execution: Execution::threads(1),
    })
    .unwrap();
    let s = &report.summary;
    assert_eq!(s.records, s.processed + s.dead_lettered + s.late, "{stem}");
    assert!(s.processed > 0, "{stem}: nothing processed");
    report
        .rule_alerts
        .into_iter()
        .map(|a| (a.rule_id, a.principal))
        .collect()
}

#[test]
fn every_privileged_detonation_alerts_on_its_actor() {
    let dir = tempfile::tempdir().unwrap();
    for (stem, rules, principal) in COVERED {
        let expected: BTreeSet<(String, String)> = rules
            .iter()
            .map(|r| (r.to_string(), principal.to_string()))
            .collect();
        assert_eq!(rule_alerts(stem, dir.path()), expected, "{stem}");
    }
}

#[test]
fn out_of_scope_detonations_raise_no_rule_alert() {
    let dir = tempfile::tempdir().unwrap();
    for stem in OUT_OF_SCOPE {
        assert_eq!(rule_alerts(stem, dir.path()), BTreeSet::new(), "{stem}");
    }
}

#[test]
fn every_detonation_file_is_in_one_table() {
    let mut on_disk: Vec<String> = std::fs::read_dir(stratus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut tabled: Vec<String> = COVERED
        .iter()
        .map(|(s, _, _)| s.to_string())
        .chain(OUT_OF_SCOPE.iter().map(|s| s.to_string()))
        .collect();
    tabled.sort();
    assert_eq!(tabled, on_disk, "decide for each new detonation file");
}
