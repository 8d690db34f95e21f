//! Catalogues and identities of the auditd, Confluent Cloud and AWS WAF generators.
//!
//! Method names are the actions the parsers produce (`execve /usr/bin/ls`, `USER_CMD sudo`,
//! `CreateAPIKey`, `GET /api/orders`), so habits and anomalies read the same in the
//! generated data and in the engine's output.

use super::catalogue::{Class, Method, FIRST_NAMES, LAST_NAMES};
use super::principal::{aws_id, Principal};
use super::rng::hash;
use super::stream::Spec;
use super::{auditd, confluent, json, waf};
use crate::parse::Format;

use Class::*;

const fn m(
    service: &'static str,
    name: &'static str,
    permission: &'static str,
    class: Class,
) -> Method {
    Method {
        service,
        name,
        permission,
        class,
    }
}

/// auditd: service = record type, permission = the command line.
#[rustfmt::skip]
pub(crate) const AUDITD_METHODS: [Method; 20] = [
    m("SYSCALL", "execve /usr/bin/ls", "ls -la", Read),
    m("SYSCALL", "execve /usr/bin/cat", "cat /var/log/app.log", Read),
    m("SYSCALL", "execve /usr/bin/grep", "grep -r ERROR /var/log/app", Read),
    m("SYSCALL", "execve /usr/bin/ps", "ps aux", Read),
    m("USER_LOGIN", "USER_LOGIN sshd", "", Read),
    m("SYSCALL", "execve /usr/bin/git", "git pull", Write),
    m("SYSCALL", "execve /usr/bin/vim", "vim /etc/app/config.yaml", Write),
    m("SYSCALL", "execve /usr/bin/cp", "cp build/app /opt/app/bin", Write),
    m("SYSCALL", "execve /usr/bin/tar", "tar czf backup.tgz /srv/data", Write),
    m("SYSCALL", "execve /usr/bin/python3", "python3 /opt/jobs/etl.py", Write),
    m("SYSCALL", "execve /usr/bin/systemctl", "systemctl status app", Write),
    m("SYSCALL", "execve /usr/bin/curl", "curl -s http://169.254.169.254/latest/meta-data/iam/", Sensitive),
    m("SYSCALL", "execve /usr/bin/ssh-keygen", "ssh-keygen -t ed25519 -N ''", Sensitive),
    m("SYSCALL", "execve /usr/bin/scp", "scp /srv/data/db.dump backup:/tmp", Sensitive),
    m("SYSCALL", "execve /usr/bin/base64", "base64 /etc/ssl/private/server.key", Sensitive),
    m("USER_CMD", "USER_CMD sudo", "systemctl restart sshd", Privileged),
    m("ADD_USER", "ADD_USER useradd", "", Privileged),
    m("ADD_GROUP", "ADD_GROUP groupadd", "", Privileged),
    m("SYSCALL", "execve /usr/bin/passwd", "passwd root", Privileged),
    m("SYSCALL", "execve /usr/sbin/usermod", "usermod -aG sudo deploy", Privileged),
];

/// Confluent Cloud: service = the CRN kind, permission = the authorization operation.
#[rustfmt::skip]
pub(crate) const CONFLUENT_METHODS: [Method; 16] = [
    m("kafka", "kafka.Authentication", "Authenticate", Read),
    m("kafka", "mds.Authorize", "Read", Read),
    m("kafka", "kafka.DescribeConfigs", "DescribeConfigs", Read),
    m("org", "SignIn", "", Read),
    m("kafka", "kafka.CreateTopics", "Create", Write),
    m("kafka", "kafka.AlterConfigs", "AlterConfigs", Write),
    m("kafka", "kafka.DeleteTopics", "Delete", Write),
    m("org", "CreateEnvironment", "", Write),
    m("org", "CreateKafkaCluster", "", Write),
    m("kafka", "kafka.DescribeAcls", "Describe", Sensitive),
    m("org", "ListAPIKeys", "", Sensitive),
    m("schema", "schema-registry.ReadSubject", "Read", Sensitive),
    m("org", "CreateAPIKey", "", Privileged),
    m("org", "CreateServiceAccount", "", Privileged),
    m("org", "BindRoleForPrincipal", "", Privileged),
    m("kafka", "kafka.CreateAcls", "Alter", Privileged),
];

/// AWS WAF: name = the parsed endpoint, permission = the request URI.
#[rustfmt::skip]
pub(crate) const WAF_METHODS: [Method; 14] = [
    m("ALB", "GET /", "/", Read),
    m("ALB", "GET /api/products", "/api/products", Read),
    m("ALB", "GET /api/orders", "/api/orders", Read),
    m("ALB", "GET /static/app.js", "/static/app.js", Read),
    m("ALB", "POST /api/orders", "/api/orders", Write),
    m("ALB", "PUT /api/cart", "/api/cart", Write),
    m("ALB", "POST /login", "/login", Write),
    m("ALB", "GET /api/export", "/api/export", Sensitive),
    m("ALB", "GET /admin/reports", "/admin/reports", Sensitive),
    m("ALB", "GET /.env", "/.env", Sensitive),
    m("ALB", "POST /admin/users", "/admin/users", Privileged),
    m("ALB", "PUT /admin/roles", "/admin/roles", Privileged),
    m("ALB", "DELETE /users/*", "/users/u", Privileged),
    m("ALB", "POST /admin/keys", "/admin/keys", Privileged),
];

/// The method catalogue of a new family, `None` for GCP and CloudTrail.
pub(crate) fn catalogue(format: Format) -> Option<&'static [Method]> {
    match format {
        Format::Auditd => Some(&AUDITD_METHODS),
        Format::Confluent => Some(&CONFLUENT_METHODS),
        Format::Waf => Some(&WAF_METHODS),
        _ => None,
    }
}

/// Methods of the off-hours credential creation and of the admin grant anomalies, `None`
/// for GCP and CloudTrail.
pub(crate) fn anomaly_methods(
    format: Format,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    match format {
        Format::Auditd => Some((
            &[
                "USER_CMD sudo",
                "ADD_USER useradd",
                "execve /usr/bin/passwd",
            ],
            &["execve /usr/sbin/usermod", "ADD_GROUP groupadd"],
        )),
        Format::Confluent => Some((
            &["CreateAPIKey", "CreateServiceAccount"],
            &["BindRoleForPrincipal", "kafka.CreateAcls"],
        )),
        Format::Waf => Some((
            &["POST /admin/keys", "POST /admin/users"],
            &["PUT /admin/roles"],
        )),
        _ => None,
    }
}

/// Renames a principal for a new family (the habits stay those drawn for it): a Unix user
/// name (`svc-NAME` for workloads) for auditd, `User:u-...` / `User:sa-...` for Confluent,
/// its own client address for WAF (one /16 of its home range, host part = its index, so
/// unique).
pub(crate) fn adapt(format: Format, seed: u64, p: &mut Principal) {
    let i = p.index as u64;
    let key = hash(&[seed, 0x0066_616d, i]);
    match format {
        Format::Auditd => {
            let first = FIRST_NAMES[(i % 40) as usize].to_lowercase();
            let last = LAST_NAMES[((i / 40 + 17 * (i % 40)) % 40) as usize].to_lowercase();
            let dup = if i >= 1600 {
                format!("{}", i / 1600 + 1)
            } else {
                String::new()
            };
            p.name = if p.is_human() {
                format!("{first}.{last}{dup}")
            } else {
                format!("svc-{last}{}", i)
            };
            p.user_name = p.name.clone();
        }
        Format::Confluent => {
            let kind = if p.is_human() { "u" } else { "sa" };
            p.name = format!("User:{kind}-{}{i:x}", aws_id("", key, 4).to_lowercase());
        }
        Format::Waf => {
            let home = p.ips[0] & 0xffff_0000;
            p.ips[0] = home | (i as u32 & 0xffff);
            p.name = ipv4_string(p.ips[0]);
        }
        _ => {}
    }
}

/// A dotted IPv4 address.
pub(crate) fn ipv4_string(ip: u32) -> String {
    let b = ip.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// A two-letter country of an address: home ranges map to common countries, the foreign
/// ranges anomalies use to rarer ones.
pub(crate) fn country(ip: u32) -> &'static str {
    const FOREIGN: [&str; 6] = ["RU", "KP", "IR", "NG", "VN", "BY"];
    const HOME: [&str; 8] = ["US", "GB", "DE", "FR", "IN", "JP", "CA", "AU"];
    let (a, b) = ((ip >> 24) as u8, (ip >> 16) as u8);
    match super::catalogue::FOREIGN_PREFIXES
        .iter()
        .position(|&p| p == (a, b))
    {
        Some(k) => FOREIGN[k % FOREIGN.len()],
        None => HOME[(hash(&[a as u64, b as u64]) % HOME.len() as u64) as usize],
    }
}

/// Renders one record of a new family into `out` and returns its event id (as the parser
/// reports it).
pub(crate) fn render(
    format: Format,
    p: &Principal,
    s: &Spec,
    m: &Method,
    bits: u64,
    out: &mut Vec<u8>,
) -> String {
    match format {
        Format::Auditd => {
            auditd::render(p, s, m, bits, out);
            auditd::event_id(p, s, bits)
        }
        Format::Confluent => {
            confluent::render(p, s, m, bits, out);
            json::uuid(bits)
        }
        _ => {
            waf::render(p, s, m, bits, out);
            waf::request_id(s, bits)
        }
    }
}
