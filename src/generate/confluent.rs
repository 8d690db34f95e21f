//! Rendering of Confluent Cloud audit log records (CloudEvents JSON).

use super::catalogue::Method;
use super::families::ipv4_string;
use super::json::uuid;
use super::principal::Principal;
use super::stream::Spec;
use crate::event::time::format_rfc3339;

/// Appends one record.
pub(crate) fn render(p: &Principal, s: &Spec, m: &Method, bits: u64, out: &mut Vec<u8>) {
    let org = format!("organization={}", &p.account);
    let cluster = format!("lkc-{:05x}", p.region * 4099 + 17);
    let authorization = m.service == "kafka" || m.name == "mds.Authorize";
    let (source, service, kind) = if authorization {
        let crn = format!("crn://confluent.cloud/{org}/kafka={cluster}");
        (crn.clone(), crn, "io.confluent.kafka.server/authorization")
    } else {
        let crn = format!("crn://confluent.cloud/{org}");
        (crn.clone(), crn, "io.confluent.cloud/request")
    };
    let topic = format!("topic-{}", bits % 7);
    let resource = match m.name {
        "CreateAPIKey" | "CreateServiceAccount" => {
            format!("{service}/service-account=sa-{:x}", bits % 4096)
        }
        "BindRoleForPrincipal" => format!("{service}/role-binding=rb-{:x}", bits % 4096),
        _ if authorization => format!("{service}/topic={topic}"),
        _ => service.clone(),
    };
    let status = match s.status {
        0 => "SUCCESS",
        7 if m.name == "SignIn" || m.name == "kafka.Authentication" => "UNAUTHENTICATED",
        7 => "UNAUTHORIZED",
        _ => "FAILURE",
    };
    let mut data = serde_json::json!({
        "serviceName": service,
        "methodName": m.name,
        "resourceName": resource,
        "authenticationInfo": {"principal": p.name},
        "request": {"client_id": s.agent},
        "requestMetadata": {"clientAddress": [{"ip": ipv4_string(s.ip), "port": 40000 + bits % 20000}]},
        "result": {"status": status},
    });
    if authorization && m.name != "kafka.Authentication" {
        data["authorizationInfo"] = serde_json::json!({
            "granted": s.status != 7,
            "operation": m.permission,
            "resourceType": "Topic",
            "resourceName": topic,
            "patternType": "LITERAL",
        });
    }
    let record = serde_json::json!({
        "id": uuid(bits),
        "source": source,
        "specversion": "1.0",
        "type": kind,
        "datacontenttype": "application/json",
        "subject": resource,
        "time": format_rfc3339(s.time_ns),
        "data": data,
    });
    serde_json::to_writer(out, &record).expect("JSON to memory");
}
