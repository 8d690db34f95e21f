//! Rendering of GCP Cloud Audit Log `LogEntry` records (one JSON object, about 1.2 KB).

use super::catalogue::{Class, Method, ZONES};
use super::json::{field, insert_id, ipv4, raw, string, time, uint};
use super::principal::Principal;
use super::rng::mix64;
use super::stream::Spec;

fn status_message(code: u8) -> &'static str {
    match code {
        7 => "PERMISSION_DENIED",
        5 => "NOT_FOUND",
        3 => "INVALID_ARGUMENT",
        _ => "FAILED_PRECONDITION",
    }
}

/// Resource type, resourceName and extra resource labels of a call.
fn resource(
    m: &Method,
    proj: &str,
    zone: &str,
    r: u64,
) -> (&'static str, String, [(&'static str, String); 2]) {
    let region = &zone[..zone.len() - 2];
    let short = m.name.rsplit('.').next().unwrap_or(m.name);
    match m.service {
        "compute.googleapis.com" => {
            let base = format!("projects/{proj}/zones/{zone}/instances");
            let name = if short == "list" {
                base
            } else {
                format!("{base}/vm-{r:02}")
            };
            (
                "gce_instance",
                name,
                [
                    ("zone", zone.to_string()),
                    ("instance_id", format!("{}", mix64(r) % 10u64.pow(18))),
                ],
            )
        }
        "storage.googleapis.com" => {
            let bucket = format!("{proj}-data-{}", r % 7);
            let name = match short {
                "get" | "create" => {
                    format!("projects/_/buckets/{bucket}/objects/exports/part-{r:05}.avro")
                }
                _ => format!("projects/_/buckets/{bucket}"),
            };
            (
                "gcs_bucket",
                name,
                [("bucket_name", bucket), ("location", region.to_string())],
            )
        }
        "bigquery.googleapis.com" => {
            let ds = format!("analytics_{}", r % 5);
            let name = if short == "InsertJob" {
                format!("projects/{proj}/jobs/bquxjob_{:x}", mix64(r) >> 32)
            } else {
                format!("projects/{proj}/datasets/{ds}/tables/events_{r}")
            };
            (
                "bigquery_dataset",
                name,
                [("dataset_id", ds), ("location", "US".to_string())],
            )
        }
        "container.googleapis.com" => {
            let c = format!("gke-{}", r % 3);
            let name = format!("projects/{proj}/locations/{region}/clusters/{c}");
            (
                "gke_cluster",
                name,
                [("cluster_name", c), ("location", region.to_string())],
            )
        }
        "pubsub.googleapis.com" => {
            let t = format!("events-{}", r % 9);
            (
                "pubsub_topic",
                format!("projects/{proj}/topics/{t}"),
                [("topic_id", t), ("location", region.to_string())],
            )
        }
        "logging.googleapis.com" => {
            let s = format!("sink-{}", r % 4);
            (
                "logging_sink",
                format!("projects/{proj}/sinks/{s}"),
                [("name", s), ("destination", "bigquery".to_string())],
            )
        }
        "iam.googleapis.com" => {
            let sa = format!("svc-{}@{proj}.iam.gserviceaccount.com", r % 12);
            let name = match short {
                "CreateRole" => format!("projects/{proj}/roles/customRole{}", r % 6),
                _ => format!("projects/{proj}/serviceAccounts/{sa}"),
            };
            (
                "service_account",
                name,
                [
                    ("email_id", sa),
                    ("unique_id", format!("1{:020}", mix64(r) % 10u64.pow(19))),
                ],
            )
        }
        "secretmanager.googleapis.com" => {
            let s = format!("projects/{proj}/secrets/app-secret-{}", r % 8);
            let name = if short.ends_with("AccessSecretVersion") {
                format!("{s}/versions/latest")
            } else {
                format!("projects/{proj}")
            };
            (
                "audited_resource",
                name,
                [
                    ("service", m.service.to_string()),
                    ("method", m.name.to_string()),
                ],
            )
        }
        "cloudkms.googleapis.com" => {
            let k = format!("key-{}", r % 4);
            let name = format!("projects/{proj}/locations/global/keyRings/main/cryptoKeys/{k}");
            (
                "cloudkms_cryptokey",
                name,
                [("crypto_key_id", k), ("key_ring_id", "main".to_string())],
            )
        }
        _ => (
            "project",
            format!("projects/{proj}"),
            [
                ("service", m.service.to_string()),
                ("method", short.to_string()),
            ],
        ),
    }
}

/// Appends the `LogEntry` of `s` (method `m`, event id bits `bits`) to `out`.
pub(crate) fn render(p: &Principal, s: &Spec, m: &Method, bits: u64, out: &mut Vec<u8>) {
    let proj = p.account.as_str();
    let r = mix64(bits ^ 0x7265_736f) % 64;
    let zone = ZONES[(p.region + (r as usize & 1)) % ZONES.len()];
    let (rtype, rname, labels) = resource(m, proj, zone, r);
    let short = m.name.rsplit('.').next().unwrap_or(m.name);
    let failed = s.status != 0;
    raw(
        out,
        "{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\",",
    );
    if failed {
        raw(out, "\"status\":{\"code\":");
        uint(out, s.status as u64);
        raw(out, ",\"message\":\"");
        raw(out, status_message(s.status));
        raw(out, "\"},");
    } else if m.class != Class::Read {
        raw(out, "\"status\":{},");
    }
    raw(out, "\"authenticationInfo\":{");
    field(out, "principalEmail", &p.name);
    out.pop();
    raw(out, "},\"requestMetadata\":{\"callerIp\":\"");
    ipv4(out, s.ip);
    raw(out, "\",");
    field(out, "callerSuppliedUserAgent", s.agent);
    raw(out, "\"requestAttributes\":{\"time\":");
    time(out, s.time_ns, true);
    raw(out, ",\"auth\":{}},\"destinationAttributes\":{}},");
    field(out, "serviceName", m.service);
    field(out, "methodName", m.name);
    raw(out, "\"authorizationInfo\":[{\"resource\":\"projects/");
    raw(out, proj);
    raw(out, "\",");
    field(out, "permission", m.permission);
    raw(
        out,
        if failed && s.status == 7 {
            "\"granted\":false,"
        } else {
            "\"granted\":true,"
        },
    );
    raw(out, "\"resourceAttributes\":{}}],");
    field(out, "resourceName", &rname);
    raw(out, "\"request\":{\"@type\":\"type.googleapis.com/");
    raw(out, short);
    raw(out, "Request\",");
    if short == "SetIamPolicy" {
        let (role, member) = if s.flavor == 1 {
            ("roles/owner", format!("user:{}", p.name))
        } else {
            (
                [
                    "roles/viewer",
                    "roles/storage.objectViewer",
                    "roles/logging.viewer",
                ][r as usize % 3],
                format!("group:team-{}@example.com", r % 9),
            )
        };
        raw(out, "\"policy\":{\"bindings\":[{");
        field(out, "role", role);
        raw(out, "\"members\":[");
        string(out, &member);
        raw(out, "]}],\"etag\":\"BwYkQ");
        raw(out, &insert_id(bits)[..8]);
        raw(out, "=\"},");
        field(out, "resource", &rname);
        out.pop();
        raw(out, "},\"serviceData\":{\"@type\":\"type.googleapis.com/google.iam.v1.logging.AuditData\",\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",");
        field(out, "role", role);
        field(out, "member", &member);
        out.pop();
        raw(out, "}]}},");
    } else {
        out.pop();
        raw(out, "},");
    }
    if !failed {
        raw(out, "\"response\":{\"@type\":\"type.googleapis.com/");
        raw(out, short);
        raw(out, "Response\",\"status\":\"DONE\"},");
    }
    raw(out, "\"metadata\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLogMetadata\"}},\"insertId\":\"");
    raw(out, &insert_id(bits));
    raw(out, "\",\"resource\":{\"type\":");
    string(out, rtype);
    raw(out, ",\"labels\":{");
    field(out, "project_id", proj);
    for (k, v) in &labels {
        field(out, k, v);
    }
    out.pop();
    raw(out, "}},\"timestamp\":");
    time(out, s.time_ns, true);
    raw(out, ",\"severity\":\"");
    raw(
        out,
        match (failed, m.class) {
            (true, _) => "ERROR",
            (false, Class::Read | Class::Sensitive) => "INFO",
            _ => "NOTICE",
        },
    );
    raw(out, "\",\"logName\":\"projects/");
    raw(out, proj);
    raw(
        out,
        match m.class {
            Class::Read | Class::Sensitive => "/logs/cloudaudit.googleapis.com%2Fdata_access\",",
            _ => "/logs/cloudaudit.googleapis.com%2Factivity\",",
        },
    );
    raw(out, "\"receiveTimestamp\":");
    time(out, s.arrival_ns, true);
    out.push(b'}');
}
