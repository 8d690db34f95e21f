//! Rendering of AWS WAF web ACL log records.

use super::catalogue::Method;
use super::families::country;
use super::principal::Principal;
use super::stream::Spec;

/// The request id the parser reports as event id.
pub(crate) fn request_id(s: &Spec, bits: u64) -> String {
    format!("1-{:08x}-{:024x}", s.time_ns / 1_000_000_000, bits as u128)
}

/// Appends one record. The client is always the principal's own address; an anomaly's
/// new network shows as a new country for it.
pub(crate) fn render(p: &Principal, s: &Spec, m: &Method, bits: u64, out: &mut Vec<u8>) {
    let (method, _) = m.name.split_once(' ').unwrap_or(("GET", ""));
    let uri = if m.permission.ends_with("/u") {
        format!("{}{}", m.permission, bits % 5000)
    } else {
        m.permission.to_owned()
    };
    let (action, rule, code) = match s.status {
        0 => ("ALLOW", "Default_Action", serde_json::Value::Null),
        7 => (
            "BLOCK",
            "AWS-AWSManagedRulesCommonRuleSet",
            serde_json::Value::Null,
        ),
        5 => ("ALLOW", "Default_Action", 404.into()),
        _ => ("ALLOW", "Default_Action", 400.into()),
    };
    let webacl = format!(
        "arn:aws:wafv2:us-east-1:{}:regional/webacl/app-acl/a1b2c3",
        p.account
    );
    let record = serde_json::json!({
        "timestamp": s.time_ns / 1_000_000,
        "formatVersion": 1,
        "webaclId": webacl,
        "terminatingRuleId": rule,
        "terminatingRuleType": "REGULAR",
        "action": action,
        "httpSourceName": "ALB",
        "httpSourceId": format!("{}-app/app-alb/0123456789abcdef", p.account),
        "responseCodeSent": code,
        "httpRequest": {
            "clientIp": p.name,
            "country": country(s.ip),
            "headers": [
                {"name": "Host", "value": "shop.example.com"},
                {"name": "User-Agent", "value": s.agent},
            ],
            "uri": uri,
            "args": "",
            "httpVersion": "HTTP/1.1",
            "httpMethod": method,
            "requestId": request_id(s, bits),
        },
    });
    serde_json::to_writer(out, &record).expect("JSON to memory");
}
