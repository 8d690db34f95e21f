//! Which actions are privileged: they change who may do what, mint credentials, or blind
//! the audit trail. A rare or novel privileged action is strong evidence on its own.

/// Privileged operations, lowercase, matched against the last segment of an action
/// (`google.iam.admin.v1.CreateServiceAccountKey` -> `createserviceaccountkey`).
pub const PRIVILEGED_ACTIONS: &[&str] = &[
    // GCP: IAM policy, service accounts and keys, roles, org policy, audit sinks.
    "setiampolicy",
    "createserviceaccount",
    "createserviceaccountkey",
    "uploadserviceaccountkey",
    "enableserviceaccountkey",
    "generateaccesstoken",
    "signjwt",
    "createrole",
    "updaterole",
    "undeleterole",
    "setorgpolicy",
    "deletesink",
    "updatesink",
    "createexclusion",
    // AWS: IAM policies, users, keys, login profiles, trust, federation.
    "attachuserpolicy",
    "attachrolepolicy",
    "attachgrouppolicy",
    "putuserpolicy",
    "putrolepolicy",
    "putgrouppolicy",
    "createpolicyversion",
    "setdefaultpolicyversion",
    "createaccesskey",
    "createuser",
    "createloginprofile",
    "updateloginprofile",
    "updateassumerolepolicy",
    "addusertogroup",
    "createsamlprovider",
    "createopenidconnectprovider",
    "getfederationtoken",
    "deactivatemfadevice",
    "deleteaccountpasswordpolicy",
    // AWS: logging and detection tampering, data shared out.
    "stoplogging",
    "deletetrail",
    "updatetrail",
    "puteventselectors",
    "deleteflowlogs",
    "deletedetector",
    "disablesecurityhub",
    "leaveorganization",
    "modifysnapshotattribute",
    "modifydbsnapshotattribute",
    "modifydbclustersnapshotattribute",
    "putbucketpolicy",
    "putbucketacl",
    // Confluent Cloud: API keys, service accounts, role bindings, ACLs.
    "createapikey",
    "bindroleforprincipal",
    "createacls",
    // Linux auditd (the action's last path segment, or the whole `TYPE program`): sudo,
    // account and group creation, password and group membership changes.
    "user_cmd sudo",
    "add_user useradd",
    "add_group groupadd",
    "passwd",
    "usermod",
];

/// True if `action` is a privileged operation.
///
/// ```
/// use auditflow::detect::privileged::is_privileged;
/// assert!(is_privileged("google.iam.admin.v1.CreateServiceAccountKey"));
/// assert!(is_privileged("SetIamPolicy"));
/// assert!(is_privileged("AttachUserPolicy"));
/// assert!(!is_privileged("storage.objects.get"));
/// assert!(is_privileged("USER_CMD sudo"));
/// assert!(is_privileged("execve /usr/sbin/usermod"));
/// ```
pub fn is_privileged(action: &str) -> bool {
    let last = action.rsplit(['.', '/', ':']).next().unwrap_or(action);
    PRIVILEGED_ACTIONS
        .iter()
        .any(|p| last.eq_ignore_ascii_case(p))
}
