//! The privileged-access rules shipped with AuditFlow (the files under `dataflows/rules`),
//! built into the binary so `sigma = ["builtin:privileged"]` works from any directory.

/// The name that stands for the shipped rules in a spec or `--rules`.
pub const BUILTIN_PRIVILEGED: &str = "builtin:privileged";

/// `(file name, rule text)` of every shipped rule.
pub const SHIPPED_RULES: &[(&str, &str)] = &[
    (
        "aws_cloudtrail_logging_tampering.yml",
        include_str!("../../dataflows/rules/aws_cloudtrail_logging_tampering.yml"),
    ),
    (
        "aws_iam_access_key_created.yml",
        include_str!("../../dataflows/rules/aws_iam_access_key_created.yml"),
    ),
    (
        "aws_iam_admin_policy_granted.yml",
        include_str!("../../dataflows/rules/aws_iam_admin_policy_granted.yml"),
    ),
    (
        "aws_root_console_login.yml",
        include_str!("../../dataflows/rules/aws_root_console_login.yml"),
    ),
    (
        "gcp_iam_owner_or_editor_granted.yml",
        include_str!("../../dataflows/rules/gcp_iam_owner_or_editor_granted.yml"),
    ),
    (
        "gcp_logging_sink_tampering.yml",
        include_str!("../../dataflows/rules/gcp_logging_sink_tampering.yml"),
    ),
    (
        "gcp_service_account_key_created.yml",
        include_str!("../../dataflows/rules/gcp_service_account_key_created.yml"),
    ),
];
