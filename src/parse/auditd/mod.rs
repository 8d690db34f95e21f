//! Linux auditd: raw `audit.log` records grouped into events.
//!
//! A record is one line (`[node=HOST ]type=TYPE msg=audit(SECS.MILLIS:SERIAL): k=v ...`);
//! an event is every record sharing the node and `SECS.MILLIS:SERIAL` (a SYSCALL with its
//! EXECVE, CWD, PATH, PROCTITLE and EOE records, or one user-space record such as USER_CMD).
//! [`Assembler`] groups lines into events; [`parse_auditd`] turns one event (its lines joined
//! by `\n`) into an [`AuditEvent`].
//!
//! Mapping (the primary record is the SYSCALL, else the first record that is not an
//! auxiliary EXECVE/CWD/PATH/PROCTITLE/SOCKADDR/EOE/... record):
//! - principal: the login user (`auid`), named by the enriched `AUID=` field when the log
//!   has it, else its number (`1000`); [`PrincipalType::Root`] for auid 0, else
//!   [`PrincipalType::User`]. Without a login user (auid unset: daemons, failed logins) the
//!   account the message names (`acct=`, a [`PrincipalType::User`]), else the acting uid
//!   (named by `UID=` when enriched) as a [`PrincipalType::Service`];
//! - user agent: the acting identity, `uid=U euid=E` (names when enriched), so a change of
//!   acting identity (sudo, setuid) shows like a change of client;
//! - action: for a system call its name and the executable (`execve /usr/bin/passwd`,
//!   x86-64 names, else `syscall N`); for other events the record type and the program's
//!   base name (`USER_CMD sudo`, `USER_LOGIN sshd`, `ADD_USER useradd`), or the type alone;
//! - service: the host, the `node=` name (`localhost` when the log has none);
//! - resource: the EXECVE arguments joined by spaces, else the USER_CMD `cmd`, else the
//!   PROCTITLE, else the PATH names, else the `acct`/`id` acted on;
//! - source IP: `addr=` when it is not `?`;
//! - outcome: `success=no` is denied for EACCES/EPERM and a failure otherwise; `res=` failed
//!   (`failed`, `fail`, `no`, `0`) is a failure; an AVC `denied` without either is denied;
//!   the error code is the errno name (`EACCES`) or `failed`;
//! - event id: `[NODE:]SECS.MILLIS:SERIAL`.
//!
//! Hex-encoded values (`proctitle`, `comm`, `exe`, `name`, `cwd`, `cmd`, `acct`, EXECVE
//! arguments) are decoded.

mod assemble;
pub mod fields;
mod names;

pub use assemble::{Assembler, DEFAULT_FLUSH_AFTER_NS, DEFAULT_MAX_IN_FLIGHT};
pub use fields::is_auditd_line;
pub use names::{errno_name, syscall_name};

use super::{ParseError, ParseResult};
use crate::event::{AuditEvent, Outcome, Position, PrincipalType, SourceFamily};
use fields::{get, Header};
use std::borrow::Cow;

/// Record types that never lead an event: they add detail to a SYSCALL.
const AUXILIARY: &[&str] = &[
    "EOE",
    "PROCTITLE",
    "CWD",
    "PATH",
    "EXECVE",
    "SOCKADDR",
    "SOCKETCALL",
    "FD_PAIR",
    "BPRM_FCAPS",
    "CAPSET",
    "MMAP",
    "OBJ_PID",
    "IPC",
    "KERN_MODULE",
];

type Fields<'a> = Vec<(&'a str, Cow<'a, str>)>;

struct Record<'a> {
    header: Header<'a>,
    fields: Fields<'a>,
    enriched: Fields<'a>,
}

/// Parses one auditd event: the lines of its records joined by `\n`.
pub fn parse_auditd(raw: &[u8], position: &Position) -> ParseResult {
    let text = std::str::from_utf8(raw).map_err(|e| ParseError::InvalidUtf8(e.valid_up_to()))?;
    let mut records = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let header = fields::header(line)?;
        records.push(Record {
            fields: fields::fields(header.kind, header.body),
            enriched: fields::fields("", header.enriched),
            header,
        });
    }
    let primary = records
        .iter()
        .find(|r| r.header.kind == "SYSCALL")
        .or_else(|| records.iter().find(|r| !AUXILIARY.contains(&r.header.kind)))
        .or(records.first())
        .ok_or(ParseError::MissingField("type"))?;
    let h = &primary.header;
    let f = &primary.fields;
    let of_kind = |kind: &str| records.iter().find(|r| r.header.kind == kind);
    let exe = get(f, "exe");
    let (principal, principal_type) = principal(primary);
    let action = if h.kind == "SYSCALL" {
        let call = syscall_name(
            get(f, "arch").unwrap_or(""),
            get(f, "syscall").unwrap_or("?"),
        );
        match exe {
            Some(exe) => format!("{call} {exe}"),
            None => call,
        }
    } else {
        match exe
            .and_then(|e| e.rsplit('/').next())
            .filter(|e| !e.is_empty())
        {
            Some(program) => format!("{} {program}", h.kind),
            None => h.kind.to_owned(),
        }
    };
    let resource = of_kind("EXECVE")
        .map(|r| argv(&r.fields))
        .or_else(|| get(f, "cmd").map(str::to_owned))
        .or_else(|| {
            of_kind("PROCTITLE").and_then(|r| get(&r.fields, "proctitle").map(str::to_owned))
        })
        .or_else(|| {
            let names: Vec<&str> = records
                .iter()
                .filter(|r| r.header.kind == "PATH")
                .filter_map(|r| get(&r.fields, "name"))
                .collect();
            (!names.is_empty()).then(|| names.join(" "))
        })
        .or_else(|| get(f, "acct").or_else(|| get(f, "id")).map(str::to_owned))
        .unwrap_or_default();
    let (outcome, error_code) = outcome(f);
    let node = h.node;
    Ok(AuditEvent {
        time_ns: h.time_ns,
        source: SourceFamily::Auditd,
        principal,
        principal_type,
        action,
        service: node.unwrap_or("localhost").to_owned(),
        resource,
        source_ip: get(f, "addr")
            .filter(|a| *a != "?")
            .unwrap_or("")
            .to_owned(),
        user_agent: acting_identity(primary),
        outcome,
        error_code,
        event_id: match node {
            Some(n) => format!("{n}:{}", h.stamp),
            None => h.stamp.to_owned(),
        },
        position: position.clone(),
    })
}

fn is_unset(id: &str) -> bool {
    matches!(id, "4294967295" | "-1" | "unset")
}

/// The login user, else the account acted for, else the acting uid (see the module docs).
fn principal(r: &Record<'_>) -> (String, PrincipalType) {
    let named = |key: &str, enriched: &str| {
        let id = get(&r.fields, key).filter(|id| !is_unset(id))?;
        let name = get(&r.enriched, enriched).filter(|n| !is_unset(n));
        Some((id.to_owned(), name.unwrap_or(id).to_owned()))
    };
    if let Some((id, name)) = named("auid", "AUID") {
        let kind = match id.as_str() {
            "0" => PrincipalType::Root,
            _ => PrincipalType::User,
        };
        return (name, kind);
    }
    if let Some(acct) = get(&r.fields, "acct").filter(|a| !a.is_empty() && *a != "?") {
        let kind = match acct {
            "root" => PrincipalType::Root,
            _ => PrincipalType::User,
        };
        return (acct.to_owned(), kind);
    }
    match named("uid", "UID") {
        Some((_, name)) => (name, PrincipalType::Service),
        None => ("unknown".to_owned(), PrincipalType::Unknown),
    }
}

/// `uid=U euid=E` of the acting process, names where the log has them.
fn acting_identity(r: &Record<'_>) -> String {
    let mut out = String::new();
    for (key, enriched) in [("uid", "UID"), ("euid", "EUID")] {
        if let Some(id) = get(&r.fields, key) {
            let name = get(&r.enriched, enriched).unwrap_or(id);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(name);
        }
    }
    out
}

/// The EXECVE arguments `a0 a1 ...` in order, joined by spaces.
fn argv(fields: &Fields<'_>) -> String {
    let argc: usize = get(fields, "argc")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut parts = Vec::with_capacity(argc);
    for i in 0..argc.max(1) {
        match get(fields, &format!("a{i}")) {
            Some(arg) => parts.push(arg),
            None => break,
        }
    }
    parts.join(" ")
}

fn outcome(f: &Fields<'_>) -> (Outcome, Option<String>) {
    if let Some(success) = get(f, "success") {
        if success == "yes" {
            return (Outcome::Success, None);
        }
        let code = get(f, "exit").map(errno_name);
        let denied = matches!(code.as_deref(), Some("EACCES" | "EPERM"));
        let outcome = if denied {
            Outcome::Denied
        } else {
            Outcome::Failure
        };
        return (outcome, code.or(Some("failed".to_owned())));
    }
    if let Some(res) = get(f, "res") {
        return match res {
            "failed" | "fail" | "no" | "0" => (Outcome::Failure, Some("failed".to_owned())),
            _ => (Outcome::Success, None),
        };
    }
    if f.iter().any(|(k, v)| k.is_empty() && v == "denied") {
        return (Outcome::Denied, Some("denied".to_owned()));
    }
    (Outcome::Success, None)
}

#[cfg(test)]
mod tests;
