//! Logsources and field names: which records a rule applies to, and where a Sigma field
//! name is found in the raw record's JSON.

use super::RuleError;
use crate::event::SourceFamily;
use serde::Serialize;
use serde_json::Value;

/// The record family a rule is evaluated on, from its `logsource`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// `product: aws, service: cloudtrail`: CloudTrail records (EventBridge-unwrapped).
    Cloudtrail,
    /// `product: gcp, service: gcp.audit`: GCP Cloud Audit Log entries.
    Gcp,
    /// `product: linux, service: auditd`: auditd events, evaluated record line by line.
    Auditd,
}

impl Target {
    /// The target of a `logsource` (product, service, category).
    pub fn of(
        product: Option<&str>,
        service: Option<&str>,
        category: Option<&str>,
    ) -> Result<Target, RuleError> {
        let named = || {
            [
                ("product", product),
                ("service", service),
                ("category", category),
            ]
            .iter()
            .filter_map(|(k, v)| v.map(|v| format!("{k}: {v}")))
            .collect::<Vec<_>>()
            .join(", ")
        };
        match (product, service, category) {
            (Some("aws"), Some("cloudtrail"), _) => Ok(Target::Cloudtrail),
            (Some("gcp"), Some("gcp.audit"), _) => Ok(Target::Gcp),
            (Some("linux"), Some("auditd"), _) => Ok(Target::Auditd),
            (Some("gcp"), Some(s), _) if s.starts_with("google_workspace") => {
                Err(RuleError::LogSource {
                    logsource: named(),
                    why: "Google Workspace activity reports are not a format AuditFlow reads \
                          (their fields, like new_value, live in name/value parameter lists)",
                })
            }
            _ => Err(RuleError::LogSource {
                logsource: named(),
                why: "AuditFlow reads aws/cloudtrail, gcp/gcp.audit and linux/auditd",
            }),
        }
    }

    /// The target of records of `family`; `None` for families no Sigma logsource names
    /// here (Confluent Cloud, WAF).
    pub fn of_family(family: SourceFamily) -> Option<Target> {
        match family {
            SourceFamily::Gcp => Some(Target::Gcp),
            SourceFamily::Cloudtrail => Some(Target::Cloudtrail),
            SourceFamily::Auditd => Some(Target::Auditd),
            SourceFamily::Confluent | SourceFamily::Waf => None,
        }
    }

    /// The part of a raw record rules see: a CloudTrail record inside an EventBridge
    /// envelope is its `detail`, as AuditFlow's parser reads it.
    pub fn root(self, record: &Value) -> &Value {
        match (self, record.get("detail")) {
            (Target::Cloudtrail, Some(detail))
                if detail.is_object() && record.get("detail-type").is_some() =>
            {
                detail
            }
            _ => record,
        }
    }

    /// Where a Sigma field name is found in this target's records. CloudTrail and auditd
    /// rules name the raw fields; GCP rules in the SigmaHQ corpus also use ECS-style names
    /// (`gcp.audit.method_name`) and paths into a Pub/Sub envelope (`data.protoPayload...`),
    /// mapped here onto the `LogEntry`.
    pub fn field_path(self, name: &str) -> String {
        if self != Target::Gcp {
            return name.to_string();
        }
        if let Some((_, path)) = GCP_FIELDS.iter().find(|(sigma, _)| *sigma == name) {
            return path.to_string();
        }
        match name.strip_prefix("data.") {
            Some(rest) => rest.to_string(),
            None => name.to_string(),
        }
    }
}

/// GCP field names used by Sigma rules, and their place in a Cloud Audit Log `LogEntry`.
pub const GCP_FIELDS: &[(&str, &str)] = &[
    ("gcp.audit.method_name", "protoPayload.methodName"),
    ("gcp.audit.service_name", "protoPayload.serviceName"),
    ("gcp.audit.resource_name", "protoPayload.resourceName"),
    (
        "gcp.audit.authentication_info.principal_email",
        "protoPayload.authenticationInfo.principalEmail",
    ),
    ("gcp.audit.status.code", "protoPayload.status.code"),
    ("data.protoPayload.resource.type", "resource.type"),
    ("data.protoPayload.logName", "logName"),
    // Sic in the SigmaHQ rule gcp_gworkspace_suspicious_login.
    ("protoPayload.Servicename", "protoPayload.serviceName"),
];

/// A dotted path into a JSON record. Arrays on the way are searched element by element (a
/// field inside a list matches if any element matches); a key that itself holds dots is
/// found too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    path: String,
}

impl FieldPath {
    /// A path like `requestParameters.policyArn`.
    pub fn new(path: &str) -> Self {
        FieldPath {
            path: path.to_string(),
        }
    }

    /// The dotted path.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Every value at this path (arrays at the end expanded to their elements).
    pub fn resolve<'r>(&self, record: &'r Value) -> Vec<&'r Value> {
        let mut out = Vec::new();
        walk(record, &self.path, &mut out);
        out
    }
}

fn walk<'r>(value: &'r Value, path: &str, out: &mut Vec<&'r Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, path, out)),
        _ if path.is_empty() => out.push(value),
        Value::Object(map) => {
            if let Some(v) = map.get(path) {
                walk(v, "", out);
            }
            // Every split of the path at a dot: `a.b.c` as `a` then `b.c`, `a.b` then `c`.
            for (i, _) in path.match_indices('.') {
                if let Some(v) = map.get(&path[..i]) {
                    walk(v, &path[i + 1..], out);
                }
            }
        }
        _ => {}
    }
}

/// Every string, number and boolean in `value`, for keyword searches.
pub fn leaves<'r>(value: &'r Value, out: &mut Vec<&'r Value>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| leaves(v, out)),
        Value::Null => {}
        scalar => out.push(scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_arrays_and_dotted_keys() {
        let r = json!({"a": {"b": [{"c": 1}, {"c": 2}], "x.y": "z"}, "t": ["p", "q"]});
        let got = |p: &str| FieldPath::new(p).resolve(&r);
        assert_eq!(got("a.b.c"), vec![&json!(1), &json!(2)]);
        assert_eq!(got("a.x.y"), vec![&json!("z")]);
        assert_eq!(got("t"), vec![&json!("p"), &json!("q")]);
        assert!(got("a.nope").is_empty());
    }

    #[test]
    fn logsources_and_gcp_names() {
        assert_eq!(
            Target::of(Some("aws"), Some("cloudtrail"), None).unwrap(),
            Target::Cloudtrail
        );
        let err = Target::of(Some("gcp"), Some("google_workspace.admin"), None).unwrap_err();
        assert!(err.to_string().contains("Google Workspace"), "{err}");
        assert_eq!(
            Target::Gcp.field_path("gcp.audit.method_name"),
            "protoPayload.methodName"
        );
        assert_eq!(
            Target::Gcp.field_path("data.protoPayload.serviceName"),
            "protoPayload.serviceName"
        );
        let wrapped =
            json!({"detail-type": "AWS API Call via CloudTrail", "detail": {"eventName": "X"}});
        assert_eq!(Target::Cloudtrail.root(&wrapped)["eventName"], "X");
    }
}
