//! Principals and their habits, each a pure function of (seed, format, principal index).

use super::catalogue::{self as cat, Class, Method};
use super::rng::{hash, Rng};
use crate::parse::Format;

/// What drives a principal's rhythm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A person: working hours in a home time zone, a few networks and agents.
    Human,
    /// A workload: around the clock, regular, one network, one agent.
    Machine,
    /// The AWS account root user: human rhythm, rarely active.
    Root,
}

/// How the identity appears in records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// GCP user account.
    GcpUser,
    /// GCP service account.
    GcpServiceAccount,
    /// AWS IAM user.
    IamUser,
    /// AWS assumed-role session.
    AssumedRole,
    /// AWS root user.
    Root,
}

/// One principal and its habits.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    /// Index in `0..principals`.
    pub index: u32,
    /// Rhythm.
    pub role: Role,
    /// Identity shape.
    pub id_kind: IdKind,
    /// The principal as an analyst names it (email, IAM user, `role/session`, `root`).
    pub name: String,
    /// IAM user name or role name (CloudTrail).
    pub user_name: String,
    /// Session name of an assumed role.
    pub session: String,
    /// AWS principal id (`AIDA...`, `AROA...`).
    pub principal_id: String,
    /// AWS access key id.
    pub access_key: String,
    /// GCP project id or AWS account id.
    pub account: String,
    /// Preferred region / zone index.
    pub region: usize,
    /// UTC offset of the home time zone, minutes.
    pub tz_offset_min: i32,
    /// Start of working hours, local minutes after midnight.
    pub work_start_min: i32,
    /// Length of working hours, minutes.
    pub work_len_min: i32,
    /// Usual methods (catalogue indices).
    pub methods: Vec<u16>,
    /// Cumulative weights of `methods`.
    pub method_cum: Vec<f64>,
    /// Usual source addresses (IPv4 as u32); the first is dominant.
    pub ips: Vec<u32>,
    /// Usual user agents; the first is dominant.
    pub agents: Vec<&'static str>,
    /// Relative activity level.
    pub activity: f64,
    /// Whether privileged methods are part of the principal's normal work.
    pub admin: bool,
}

/// The method catalogue of a format.
pub(crate) fn catalogue(format: Format) -> &'static [Method] {
    if let Some(methods) = super::families::catalogue(format) {
        return methods;
    }
    match format {
        Format::Cloudtrail => &cat::CT_METHODS,
        _ => &cat::GCP_METHODS,
    }
}

/// The AWS account id (12 digits) of a seed.
pub(crate) fn aws_account(seed: u64) -> String {
    format!("{:012}", hash(&[seed, 0xacc7]) % 1_000_000_000_000)
}

/// Uppercase base-32-ish id of `n` characters from a hash.
pub(crate) fn aws_id(prefix: &str, key: u64, n: usize) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut s = String::with_capacity(prefix.len() + n);
    s.push_str(prefix);
    let mut h = key;
    for i in 0..n {
        if i % 12 == 0 {
            h = hash(&[key, i as u64]);
        }
        s.push(ALPHA[(h & 31) as usize] as char);
        h >>= 5;
    }
    s
}

fn normalish(rng: &mut Rng) -> f64 {
    (0..4).map(|_| rng.unit()).sum::<f64>() * 1.732 - 3.464
}

impl Principal {
    /// Builds principal `index` of a generator run.
    pub(crate) fn build(format: Format, seed: u64, index: u32) -> Principal {
        let mut rng = Rng::new(&[seed, 0x7072_696e, index as u64]);
        let ct = format == Format::Cloudtrail;
        let role = if ct && index == 3 {
            Role::Root
        } else if rng.chance(0.6) {
            Role::Human
        } else {
            Role::Machine
        };
        let admin = role == Role::Human && rng.chance(0.1);
        let shift = hash(&[seed, 0x6e61_6d65]);
        let p = index as u64;
        let first = cat::FIRST_NAMES[((p + shift) % 40) as usize];
        let last = cat::LAST_NAMES[((p / 40 + 17 * (p % 40) + (shift >> 8)) % 40) as usize];
        let dup = if p >= 1600 {
            format!("{}", p / 1600 + 1)
        } else {
            String::new()
        };
        let job = cat::JOB_NAMES[((p + (shift >> 16)) % 16) as usize];
        let job_n = p / 16;
        let project = format!(
            "{}-{}",
            cat::PROJECTS[rng.index(cat::PROJECTS.len())],
            1000 + hash(&[seed, 0x70726f6a]) % 9000
        );
        let account = if ct {
            aws_account(seed)
        } else {
            project.clone()
        };
        let key = hash(&[seed, 0x6964, p]);
        let (id_kind, name, user_name, session, principal_id) = match (ct, role) {
            (false, Role::Machine) => {
                let email = format!("{job}-{job_n}@{project}.iam.gserviceaccount.com");
                (
                    IdKind::GcpServiceAccount,
                    email,
                    String::new(),
                    String::new(),
                    String::new(),
                )
            }
            (false, _) => {
                let email = format!("{first}.{last}{dup}@example.com");
                (
                    IdKind::GcpUser,
                    email,
                    String::new(),
                    String::new(),
                    String::new(),
                )
            }
            (true, Role::Root) => (
                IdKind::Root,
                "root".to_string(),
                String::new(),
                String::new(),
                account.clone(),
            ),
            (true, Role::Human) if rng.chance(0.6) => {
                let user = format!("{first}.{last}{dup}");
                (
                    IdKind::IamUser,
                    user.clone(),
                    user,
                    String::new(),
                    aws_id("AIDA", key, 16),
                )
            }
            (true, Role::Human) => {
                let set = if admin {
                    "AdministratorAccess"
                } else {
                    "DeveloperAccess"
                };
                let role_name =
                    format!("AWSReservedSSO_{set}_{:016x}", hash(&[seed, 0x73736f]) >> 1);
                let session = format!("{first}.{last}{dup}");
                let rid = aws_id("AROA", key, 16);
                (
                    IdKind::AssumedRole,
                    format!("{role_name}/{session}"),
                    role_name,
                    session.clone(),
                    format!("{rid}:{session}"),
                )
            }
            (true, Role::Machine) => {
                let role_name = format!("{job}-role-{job_n}");
                let session = format!("i-0{:016x}", key >> 4);
                let rid = aws_id("AROA", key, 16);
                (
                    IdKind::AssumedRole,
                    format!("{role_name}/{session}"),
                    role_name,
                    session.clone(),
                    format!("{rid}:{session}"),
                )
            }
        };
        let access_key = match id_kind {
            IdKind::IamUser => aws_id("AKIA", key ^ 1, 16),
            _ => aws_id("ASIA", key ^ 2, 16),
        };
        let human = role != Role::Machine;
        let (tz_offset_min, ips, agents, activity) = if human {
            let country = rng.weighted(&[5.0, 6.0, 8.0, 10.0, 12.0, 13.0, 14.0, 15.0]);
            let c = &cat::COUNTRIES[country];
            let tz = *rng.pick(c.offsets);
            let mut ips = Vec::new();
            for _ in 0..rng.range(1, 2) {
                let (a, b) = *rng.pick(c.prefixes);
                let net = (a as u32) << 24 | (b as u32) << 16 | (rng.below(256) as u32) << 8;
                for _ in 0..rng.range(1, 2) {
                    ips.push(net | rng.range(2, 250) as u32);
                }
            }
            let pool: &[&'static str] = if ct {
                &cat::CT_HUMAN_AGENTS
            } else {
                &cat::GCP_HUMAN_AGENTS
            };
            let mut agents = vec![*rng.pick(pool)];
            if rng.chance(0.5) {
                let other = *rng.pick(pool);
                if other != agents[0] {
                    agents.push(other);
                }
            }
            let activity = if role == Role::Root {
                0.03
            } else {
                (0.8 * normalish(&mut rng)).exp()
            };
            (tz, ips, agents, activity)
        } else {
            let (a, b) = *rng.pick(&cat::CLOUD_PREFIXES);
            let net = (a as u32) << 24 | (b as u32) << 16 | (rng.below(256) as u32) << 8;
            let ips = (0..rng.range(1, 3))
                .map(|i| net | (10 + i as u32 * 7 + rng.below(5) as u32))
                .collect();
            let pool: &[&'static str] = if ct {
                &cat::CT_SERVICE_AGENTS
            } else {
                &cat::GCP_SERVICE_AGENTS
            };
            (
                0,
                ips,
                vec![*rng.pick(pool)],
                2.0 * (0.6 * normalish(&mut rng)).exp(),
            )
        };
        let methods = choose_methods(catalogue(format), &mut rng, role, admin);
        let mut method_cum = Vec::with_capacity(methods.len());
        let mut total = 0.0;
        for (k, &mi) in methods.iter().enumerate() {
            let privileged = catalogue(format)[mi as usize].class == Class::Privileged;
            let skew = if human { 1.3 } else { 2.0 };
            total += if privileged {
                0.04
            } else {
                1.0 / ((k + 1) as f64).powf(skew)
            };
            method_cum.push(total);
        }
        let mut principal = Principal {
            index,
            role,
            id_kind,
            name,
            user_name,
            session,
            principal_id,
            access_key,
            account,
            region: rng.index(4),
            tz_offset_min,
            work_start_min: rng.range(7 * 60, 10 * 60) as i32,
            work_len_min: rng.range(8 * 60, 10 * 60) as i32,
            methods,
            method_cum,
            ips,
            agents,
            activity,
            admin,
        };
        super::families::adapt(format, seed, &mut principal);
        principal
    }

    /// True for people (users, SSO sessions, root); false for workloads.
    pub(crate) fn is_human(&self) -> bool {
        self.role != Role::Machine
    }
}

/// The usual methods: 3-8 over 2-4 services for humans, 2-4 over 1-2 for machines. Humans
/// use read/write methods only (plus one privileged method for admins); machines may also
/// read secrets.
fn choose_methods(methods: &[Method], rng: &mut Rng, role: Role, admin: bool) -> Vec<u16> {
    let human = role != Role::Machine;
    let allowed = |m: &Method| match m.class {
        Class::Read | Class::Write => true,
        Class::Sensitive => !human,
        Class::Privileged => false,
    };
    let mut services: Vec<&str> = Vec::new();
    for m in methods.iter().filter(|m| allowed(m)) {
        if !services.contains(&m.service) {
            services.push(m.service);
        }
    }
    rng.shuffle(&mut services);
    let (n_services, n_methods) = if human {
        (rng.range(2, 4) as usize, rng.range(3, 8) as usize)
    } else {
        (rng.range(1, 2) as usize, rng.range(2, 4) as usize)
    };
    let min_methods = if human { 3 } else { 2 };
    let mut taken = 0;
    let mut pool: Vec<u16> = Vec::new();
    while taken < services.len() && (taken < n_services || pool.len() < min_methods) {
        let s = services[taken];
        pool.extend(
            (0..methods.len() as u16)
                .filter(|&i| methods[i as usize].service == s && allowed(&methods[i as usize])),
        );
        taken += 1;
    }
    rng.shuffle(&mut pool);
    pool.truncate(n_methods.max(min_methods));
    if admin {
        let privileged: Vec<u16> = (0..methods.len() as u16)
            .filter(|&i| methods[i as usize].class == Class::Privileged)
            .collect();
        pool.push(*rng.pick(&privileged));
    }
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn habits_are_plausible() {
        for format in [Format::Gcp, Format::Cloudtrail] {
            for i in 0..200 {
                let p = Principal::build(format, 7, i);
                assert!(!p.methods.is_empty() && p.methods.len() <= 9, "{p:?}");
                assert!(!p.ips.is_empty() && !p.agents.is_empty());
                assert_eq!(p.methods.len(), p.method_cum.len());
                if p.role == Role::Human && !p.admin {
                    assert!(p.methods.len() >= 3);
                    let cat = catalogue(format);
                    assert!(p
                        .methods
                        .iter()
                        .all(|&m| cat[m as usize].class != Class::Privileged));
                }
            }
        }
        let names: std::collections::HashSet<String> = (0..5000)
            .map(|i| Principal::build(Format::Gcp, 1, i).name)
            .collect();
        assert_eq!(names.len(), 5000);
    }
}
