use super::*;
use std::sync::Arc;

fn pos() -> Position {
    Position::line(Arc::from("audit.log"), 0, 1)
}

fn parse(text: &str) -> AuditEvent {
    parse_auditd(text.as_bytes(), &pos()).unwrap()
}

// A sudo call on host web-1 as the enriched format (`log_format = ENRICHED`) writes it.
const SUDO: &str = "node=web-1 type=USER_CMD msg=audit(1700000000.123:501): pid=4242 uid=1000 auid=1000 ses=3 subj=unconfined msg='cwd=\"/home/alice\" cmd=70617373776420626F62 exe=\"/usr/bin/sudo\" terminal=pts/0 res=success'\u{1d}UID=\"alice\" AUID=\"alice\"";

#[test]
fn sudo_by_an_enriched_login_user() {
    let e = parse(SUDO);
    assert_eq!(e.principal, "alice");
    assert_eq!(e.principal_type, PrincipalType::User);
    assert_eq!(e.action, "USER_CMD sudo");
    assert_eq!(e.resource, "passwd bob");
    assert_eq!(e.service, "web-1");
    assert_eq!(e.user_agent, "uid=alice");
    assert_eq!(e.outcome, Outcome::Success);
    assert_eq!(e.event_id, "web-1:1700000000.123:501");
    assert_eq!(e.time_ns, 1_700_000_000_123_000_000);
}

#[test]
fn execve_event_keeps_login_user_and_acting_ids() {
    let text = "type=SYSCALL msg=audit(1700000001.000:77): arch=c000003e syscall=59 success=yes exit=0 a0=1 a1=2 a2=3 a3=4 items=2 ppid=10 pid=11 auid=1000 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=3 comm=\"passwd\" exe=\"/usr/bin/passwd\" key=\"priv\"\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"alice\" UID=\"root\" EUID=\"root\"\n\
                type=EXECVE msg=audit(1700000001.000:77): argc=2 a0=\"passwd\" a1=626F62\n\
                type=CWD msg=audit(1700000001.000:77): cwd=\"/root\"\n\
                type=PROCTITLE msg=audit(1700000001.000:77): proctitle=70617373776400626F62\n\
                type=EOE msg=audit(1700000001.000:77):";
    let e = parse(text);
    assert_eq!(e.principal, "alice");
    assert_eq!(e.action, "execve /usr/bin/passwd");
    assert_eq!(e.resource, "passwd bob");
    assert_eq!(e.user_agent, "uid=root euid=root");
    assert_eq!(e.service, "localhost");
    assert_eq!(e.error_code, None);
}

#[test]
fn failed_login_is_the_account_tried_from_its_address() {
    let text = "type=USER_LOGIN msg=audit(1493046015.752:42120): pid=18981 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"root\" exe=\"/usr/sbin/sshd\" hostname=? addr=46.160.144.250 terminal=ssh res=failed'";
    let e = parse(text);
    assert_eq!(e.principal, "root");
    assert_eq!(e.principal_type, PrincipalType::Root);
    assert_eq!(e.source_ip, "46.160.144.250");
    assert_eq!(e.outcome, Outcome::Failure);
    assert_eq!(e.error_code.as_deref(), Some("failed"));
}

#[test]
fn daemon_without_login_user_is_a_service_by_uid() {
    let text = "type=SYSCALL msg=audit(1170021493.977:293): arch=c000003e syscall=2 success=no exit=-13 auid=4294967295 uid=890 euid=890 comm=\"pickup\" exe=\"/usr/libexec/postfix/pickup\"";
    let e = parse(text);
    assert_eq!(e.principal, "890");
    assert_eq!(e.principal_type, PrincipalType::Service);
    assert_eq!(e.outcome, Outcome::Denied);
    assert_eq!(e.error_code.as_deref(), Some("EACCES"));
    assert_eq!(e.action, "open /usr/libexec/postfix/pickup");
}

#[test]
fn add_user_names_the_account_created() {
    let text = "type=ADD_USER msg=audit(1700000002.000:90): pid=1 uid=0 auid=1000 ses=3 msg='op=adding user id=1005 exe=\"/usr/sbin/useradd\" hostname=web-1 addr=? terminal=pts/0 res=success'";
    let e = parse(text);
    assert_eq!(e.action, "ADD_USER useradd");
    assert_eq!(e.resource, "1005");
    assert_eq!(e.principal, "1000");
    assert_eq!(e.source_ip, "");
}

#[test]
fn malformed_lines_are_errors() {
    for bad in [
        "type=UNKNOWN[1329] msg=?",
        "this is not auditd",
        "type=SYSCALL msg=audit(17x.1:2): a=1",
    ] {
        assert!(parse_auditd(bad.as_bytes(), &pos()).is_err(), "{bad}");
    }
    assert_eq!(
        parse_auditd(b"type=SYSCALL msg=audit(1.5:2): \xff", &pos()),
        Err(ParseError::InvalidUtf8(31))
    );
}
