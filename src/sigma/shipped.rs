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
        "aws_console_login_without_mfa.yml",
        include_str!("../../dataflows/rules/aws_console_login_without_mfa.yml"),
    ),
    (
        "aws_ec2_serial_console_enabled.yml",
        include_str!("../../dataflows/rules/aws_ec2_serial_console_enabled.yml"),
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
        "aws_iam_login_profile_changed.yml",
        include_str!("../../dataflows/rules/aws_iam_login_profile_changed.yml"),
    ),
    (
        "aws_iam_role_trust_policy_changed.yml",
        include_str!("../../dataflows/rules/aws_iam_role_trust_policy_changed.yml"),
    ),
    (
        "aws_iam_user_created.yml",
        include_str!("../../dataflows/rules/aws_iam_user_created.yml"),
    ),
    (
        "aws_lambda_public_invoke_permission.yml",
        include_str!("../../dataflows/rules/aws_lambda_public_invoke_permission.yml"),
    ),
    (
        "aws_network_logging_deleted.yml",
        include_str!("../../dataflows/rules/aws_network_logging_deleted.yml"),
    ),
    (
        "aws_organizations_leave.yml",
        include_str!("../../dataflows/rules/aws_organizations_leave.yml"),
    ),
    (
        "aws_rolesanywhere_trust_anchor.yml",
        include_str!("../../dataflows/rules/aws_rolesanywhere_trust_anchor.yml"),
    ),
    (
        "aws_root_console_login.yml",
        include_str!("../../dataflows/rules/aws_root_console_login.yml"),
    ),
    (
        "aws_snapshot_or_image_shared.yml",
        include_str!("../../dataflows/rules/aws_snapshot_or_image_shared.yml"),
    ),
    (
        "aws_sts_federation_token.yml",
        include_str!("../../dataflows/rules/aws_sts_federation_token.yml"),
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
