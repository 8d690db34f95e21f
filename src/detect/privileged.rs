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
    let bytes = action.as_bytes();
    let start = bytes
        .iter()
        .rposition(|b| matches!(b, b'.' | b'/' | b':'))
        .map_or(0, |i| i + 1);
    let last = &bytes[start..];
    // Scoring asks this of every baseline action of every scored window: one hash lookup
    // of the lowercased segment (on the stack) instead of a scan of the list.
    let mut buf = [0u8; 64];
    let Some(lower) = buf.get_mut(..last.len()) else {
        return false; // longer than any privileged action
    };
    lower.copy_from_slice(last);
    lower.make_ascii_lowercase();
    PRIVILEGED_SET.contains(&*lower)
}

static PRIVILEGED_SET: std::sync::LazyLock<std::collections::HashSet<&'static [u8]>> =
    std::sync::LazyLock::new(|| PRIVILEGED_ACTIONS.iter().map(|p| p.as_bytes()).collect());

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition: the last segment equals a listed action, ignoring ASCII case.
    fn by_scan(action: &str) -> bool {
        let last = action.rsplit(['.', '/', ':']).next().unwrap_or(action);
        PRIVILEGED_ACTIONS
            .iter()
            .any(|p| last.eq_ignore_ascii_case(p))
    }

    #[test]
    fn the_lookup_agrees_with_a_scan_of_the_list() {
        assert!(PRIVILEGED_ACTIONS
            .iter()
            .all(|p| p.len() <= 64 && *p == p.to_ascii_lowercase()));
        let mut actions: Vec<String> = Vec::new();
        for p in PRIVILEGED_ACTIONS {
            actions.push(p.to_string());
            actions.push(p.to_ascii_uppercase());
            actions.push(format!("google.iam.admin.v1.{p}"));
            actions.push(format!("iam.amazonaws.com/{p}"));
            actions.push(format!("svc:{p}x"));
            actions.push(format!("{p}.get"));
            actions.push(p[1..].to_string());
        }
        actions.extend(
            [
                "",
                "storage.objects.get",
                "SetIamPolicy",
                "USER_CMD sudo",
                "execve /usr/sbin/usermod",
                "setiampolicy\u{e9}",
                "\u{c9}setiampolicy",
            ]
            .map(String::from),
        );
        actions.push("a".repeat(64));
        actions.push("s".repeat(65));
        actions.push(format!("x.{}", "setiampolicy".repeat(6)));
        for action in &actions {
            assert_eq!(is_privileged(action), by_scan(action), "{action:?}");
        }
        assert!(
            actions.iter().filter(|a| is_privileged(a)).count() >= 4 * PRIVILEGED_ACTIONS.len()
        );
    }
}
