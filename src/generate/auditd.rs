//! Rendering of Linux auditd events: the lines of one event joined by `\n`, in the
//! enriched format (`log_format = ENRICHED`), so user names resolve from the log itself.

use super::catalogue::Method;
use super::families::ipv4_string;
use super::principal::Principal;
use super::stream::Spec;
use crate::event::time::NANOS_PER_SEC;
use std::fmt::Write;

/// Unset login uid.
const UNSET: &str = "4294967295";

/// The numeric uid of a principal: people from 1000, workloads from 20000.
fn uid(p: &Principal) -> u32 {
    if p.is_human() {
        1000 + p.index
    } else {
        20000 + p.index
    }
}

/// The host of an event: a principal works on one of four hosts of its region.
pub(crate) fn host(p: &Principal, s: &Spec) -> String {
    format!("host-{}-{}", p.region, s.seq % 4)
}

/// The event id the parser derives: `NODE:SECS.MILLIS:SERIAL`.
pub(crate) fn event_id(p: &Principal, s: &Spec, bits: u64) -> String {
    format!("{}:{}:{}", host(p, s), stamp(s), serial(bits))
}

fn serial(bits: u64) -> u64 {
    bits % 1_000_000_000
}

fn stamp(s: &Spec) -> String {
    let secs = s.time_ns.div_euclid(NANOS_PER_SEC);
    let millis = s.time_ns.rem_euclid(NANOS_PER_SEC) / 1_000_000;
    format!("{secs}.{millis:03}")
}

fn hex(text: &str) -> String {
    text.bytes().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02X}");
        out
    })
}

/// Appends the lines of one event.
pub(crate) fn render(p: &Principal, s: &Spec, m: &Method, bits: u64, out: &mut Vec<u8>) {
    let node = host(p, s);
    let head = format!(
        "node={node} type={{}} msg=audit({}:{}): ",
        stamp(s),
        serial(bits)
    );
    let line = |kind: &str| head.replace("{}", kind);
    let uid = uid(p).to_string();
    let auid = if p.is_human() { uid.as_str() } else { UNSET };
    let ok = s.status == 0;
    let pid = 1000 + bits % 30000;
    let mut text = String::with_capacity(600);
    match m.service {
        "SYSCALL" => {
            let exe = m.name.strip_prefix("execve ").unwrap_or(m.name);
            let comm = exe.rsplit('/').next().unwrap_or(exe);
            let (success, exit) = if ok { ("yes", "0") } else { ("no", "-13") };
            let argv: Vec<&str> = m.permission.split(' ').collect();
            let _ = writeln!(
                text,
                "{}arch=c000003e syscall=59 success={success} exit={exit} a0=55d1 a1=55d2 a2=55d3 a3=8 items=2 ppid=1 pid={pid} auid={auid} uid={uid} gid={uid} euid={uid} suid={uid} fsuid={uid} egid={uid} sgid={uid} fsgid={uid} tty=pts0 ses=3 comm=\"{comm}\" exe=\"{exe}\" key=\"exec\"\u{1d}ARCH=x86_64 SYSCALL=execve AUID=\"{}\" UID=\"{}\" EUID=\"{}\"",
                line("SYSCALL"),
                if p.is_human() { &p.name } else { "unset" },
                p.name,
                p.name
            );
            let _ = write!(text, "{}argc={}", line("EXECVE"), argv.len());
            for (i, arg) in argv.iter().enumerate() {
                // auditd writes arguments with quotes or spaces hex-encoded.
                if arg.contains(['\'', '"']) {
                    let _ = write!(text, " a{i}={}", hex(arg));
                } else {
                    let _ = write!(text, " a{i}=\"{arg}\"");
                }
            }
            text.push('\n');
            let _ = writeln!(text, "{}cwd=\"/home/{}\"", line("CWD"), p.name);
            let _ = writeln!(
                text,
                "{}proctitle={}",
                line("PROCTITLE"),
                hex(&argv.join("\0"))
            );
            text.push_str(&line("EOE"));
        }
        kind => {
            let res = if ok { "success" } else { "failed" };
            let body = match kind {
                "USER_CMD" => format!(
                    "cwd=\"/home/{}\" cmd={} exe=\"/usr/bin/sudo\" terminal=pts/0 res={res}",
                    p.name,
                    hex(m.permission)
                ),
                "ADD_USER" => format!(
                    "op=adding user id={} exe=\"/usr/sbin/useradd\" hostname={node} addr=? terminal=pts/0 res={res}",
                    3000 + bits % 1000
                ),
                "ADD_GROUP" => format!(
                    "op=adding group id={} exe=\"/usr/sbin/groupadd\" hostname={node} addr=? terminal=pts/0 res={res}",
                    3000 + bits % 1000
                ),
                _ => format!(
                    "op=login acct=\"{}\" exe=\"/usr/sbin/sshd\" hostname=? addr={} terminal=ssh res={res}",
                    p.name,
                    ipv4_string(s.ip)
                ),
            };
            // A failed login has no login uid yet: the account tried names the principal.
            let auid = if kind == "USER_LOGIN" && !ok {
                UNSET
            } else {
                auid
            };
            let auid_name = if auid == UNSET {
                "unset"
            } else {
                p.name.as_str()
            };
            let _ = write!(
                text,
                "{}pid={pid} uid={uid} auid={auid} ses=3 msg='{body}'\u{1d}UID=\"{}\" AUID=\"{auid_name}\"",
                line(kind),
                p.name
            );
        }
    }
    out.extend_from_slice(text.as_bytes());
}
