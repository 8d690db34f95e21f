//! Rendering of AWS CloudTrail records (one JSON object per record).

use super::catalogue::{Class, Method, REGIONS};
use super::json::{field, ipv4, raw, string, time, uuid};
use super::principal::{aws_id, IdKind, Principal};
use super::rng::mix64;
use super::stream::Spec;

/// The ARN of the caller.
fn arn(p: &Principal) -> String {
    let acct = &p.account;
    match p.id_kind {
        IdKind::IamUser => format!("arn:aws:iam::{acct}:user/{}", p.user_name),
        IdKind::Root => format!("arn:aws:iam::{acct}:root"),
        _ => format!(
            "arn:aws:sts::{acct}:assumed-role/{}/{}",
            p.user_name, p.session
        ),
    }
}

fn identity(p: &Principal, s: &Spec, out: &mut Vec<u8>) {
    let acct = p.account.as_str();
    raw(out, "\"userIdentity\":{");
    match p.id_kind {
        IdKind::IamUser => {
            raw(out, "\"type\":\"IAMUser\",");
            field(out, "principalId", &p.principal_id);
            field(
                out,
                "arn",
                &format!("arn:aws:iam::{acct}:user/{}", p.user_name),
            );
            field(out, "accountId", acct);
            field(out, "accessKeyId", &p.access_key);
            field(out, "userName", &p.user_name);
        }
        IdKind::Root => {
            raw(out, "\"type\":\"Root\",");
            field(out, "principalId", acct);
            field(out, "arn", &arn(p));
            field(out, "accountId", acct);
            field(out, "accessKeyId", &p.access_key);
        }
        _ => {
            raw(out, "\"type\":\"AssumedRole\",");
            field(out, "principalId", &p.principal_id);
            field(
                out,
                "arn",
                &format!(
                    "arn:aws:sts::{acct}:assumed-role/{}/{}",
                    p.user_name, p.session
                ),
            );
            field(out, "accountId", acct);
            field(out, "accessKeyId", &p.access_key);
            raw(
                out,
                "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",",
            );
            let role_id = p.principal_id.split(':').next().unwrap_or("");
            field(out, "principalId", role_id);
            field(
                out,
                "arn",
                &format!("arn:aws:iam::{acct}:role/{}", p.user_name),
            );
            field(out, "accountId", acct);
            field(out, "userName", &p.user_name);
            out.pop();
            raw(
                out,
                "},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":",
            );
            let hour = 3_600_000_000_000;
            time(out, s.time_ns - s.time_ns.rem_euclid(hour), false);
            raw(out, ",\"mfaAuthenticated\":\"");
            raw(out, if p.is_human() { "true" } else { "false" });
            raw(out, "\"}},");
        }
    }
    out.pop();
    raw(out, "},");
}

/// `requestParameters` and `responseElements` of a successful call (JSON values).
fn parameters(p: &Principal, s: &Spec, m: &Method, r: u64, region: &str) -> (String, String) {
    let acct = p.account.as_str();
    let target = format!("svc-user-{}", r % 12);
    let role = format!("app-role-{}", r % 7);
    let q = |v: &str| serde_json::to_string(v).expect("string");
    match m.name {
        "CreateUser" => (
            format!("{{\"userName\":{}}}", q(&target)),
            format!("{{\"user\":{{\"path\":\"/\",\"userName\":{},\"userId\":\"{}\",\"arn\":\"arn:aws:iam::{acct}:user/{target}\",\"createDate\":\"Nov 2, 2026, 3:00:00 AM\"}}}}", q(&target), aws_id("AIDA", r, 16)),
        ),
        "CreateAccessKey" => (
            format!("{{\"userName\":{}}}", q(&target)),
            format!("{{\"accessKey\":{{\"userName\":{},\"accessKeyId\":\"{}\",\"status\":\"Active\",\"createDate\":\"Nov 2, 2026, 3:00:00 AM\"}}}}", q(&target), aws_id("AKIA", r ^ 7, 16)),
        ),
        "CreateRole" => (
            format!("{{\"roleName\":{},\"assumeRolePolicyDocument\":{}}}", q(&role), q("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"ec2.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}")),
            format!("{{\"role\":{{\"path\":\"/\",\"roleName\":{},\"roleId\":\"{}\",\"arn\":\"arn:aws:iam::{acct}:role/{role}\"}}}}", q(&role), aws_id("AROA", r, 16)),
        ),
        "AttachUserPolicy" => {
            let policy = if s.flavor == 1 { "AdministratorAccess" } else { "ReadOnlyAccess" };
            let user = if s.flavor == 1 { p.user_name.clone() } else { target };
            (format!("{{\"userName\":{},\"policyArn\":\"arn:aws:iam::aws:policy/{policy}\"}}", q(&user)), "null".into())
        }
        "PutRolePolicy" => {
            let doc = if s.flavor == 1 {
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
            } else {
                "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::app-data/*\"}]}"
            };
            let name = if s.flavor == 1 { "admin-inline" } else { "read-app-data" };
            (format!("{{\"roleName\":{},\"policyName\":\"{name}\",\"policyDocument\":{}}}", q(&role), q(doc)), "null".into())
        }
        "DescribeInstances" => ("{\"instancesSet\":{},\"filterSet\":{}}".into(), "null".into()),
        "RunInstances" | "StopInstances" => {
            let id = format!("i-0{:016x}", mix64(r) >> 4);
            (format!("{{\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{id}\"}}]}}}}"), format!("{{\"requestId\":\"{}\",\"instancesSet\":{{\"items\":[{{\"instanceId\":\"{id}\",\"currentState\":{{\"code\":0,\"name\":\"pending\"}}}}]}}}}", uuid(mix64(r))))
        }
        "GetBucketLocation" | "GetBucketPolicy" | "CreateBucket" => (format!("{{\"bucketName\":\"{acct}-app-data-{}\",\"Host\":\"s3.{region}.amazonaws.com\"}}", r % 5), "null".into()),
        "ListBuckets" => (format!("{{\"Host\":\"s3.{region}.amazonaws.com\"}}"), "null".into()),
        "GetUser" | "ListUsers" | "ListRoles" => ("{\"maxItems\":100}".into(), "null".into()),
        "AssumeRole" => (
            format!("{{\"roleArn\":\"arn:aws:iam::{acct}:role/{role}\",\"roleSessionName\":\"session-{r}\",\"durationSeconds\":3600}}"),
            format!("{{\"credentials\":{{\"accessKeyId\":\"{}\",\"sessionToken\":\"IQoJb3JpZ2luX2VjEXAMPLE\",\"expiration\":\"Nov 2, 2026, 11:00:00 PM\"}}}}", aws_id("ASIA", r, 16)),
        ),
        "Decrypt" => (format!("{{\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\",\"keyId\":\"arn:aws:kms:{region}:{acct}:key/{}\"}}", uuid(mix64(r))), "null".into()),
        "GetSecretValue" => (format!("{{\"secretId\":\"arn:aws:secretsmanager:{region}:{acct}:secret:prod/app-{}\"}}", r % 8), "null".into()),
        "LookupEvents" | "DescribeTrails" | "DescribeLogGroups" => ("{\"maxResults\":50}".into(), "null".into()),
        "CreateLogStream" => (format!("{{\"logGroupName\":\"/aws/app/{}\",\"logStreamName\":\"{}\"}}", r % 6, uuid(mix64(r))), "null".into()),
        "UpdateFunctionCode20150331v2" => (format!("{{\"functionName\":\"app-fn-{}\",\"publish\":true}}", r % 5), "{\"state\":\"Active\",\"lastUpdateStatus\":\"InProgress\"}".into()),
        _ => ("null".into(), "null".into()),
    }
}

/// Appends the CloudTrail record of `s` (method `m`, event id bits `bits`) to `out`.
pub(crate) fn render(p: &Principal, s: &Spec, m: &Method, bits: u64, out: &mut Vec<u8>) {
    let r = mix64(bits ^ 0x7265_736f) % 64;
    let global = matches!(m.service, "iam.amazonaws.com" | "sts.amazonaws.com");
    let region = if global {
        "us-east-1"
    } else {
        REGIONS[p.region]
    };
    raw(out, "{\"eventVersion\":\"1.10\",");
    identity(p, s, out);
    raw(out, "\"eventTime\":");
    time(out, s.time_ns, false);
    raw(out, ",");
    field(out, "eventSource", m.service);
    field(out, "eventName", m.name);
    field(out, "awsRegion", region);
    raw(out, "\"sourceIPAddress\":\"");
    ipv4(out, s.ip);
    raw(out, "\",");
    field(out, "userAgent", s.agent);
    let (request, response) = if s.status == 0 {
        parameters(p, s, m, r, region)
    } else {
        let (code, message) = match s.status {
            7 => (
                "AccessDenied",
                format!("User: {} is not authorized to perform: {} because no identity-based policy allows the {} action", arn(p), m.permission, m.permission),
            ),
            5 => ("NoSuchEntity", "The requested resource cannot be found.".to_string()),
            3 => ("ValidationException", "1 validation error detected".to_string()),
            _ => ("ThrottlingException", "Rate exceeded".to_string()),
        };
        field(out, "errorCode", code);
        field(out, "errorMessage", &message);
        (parameters(p, s, m, r, region).0, "null".to_string())
    };
    raw(out, "\"requestParameters\":");
    raw(out, &request);
    raw(out, ",\"responseElements\":");
    raw(out, &response);
    raw(out, ",");
    field(out, "requestID", &uuid(mix64(bits ^ 0x0072_6571)));
    field(out, "eventID", &uuid(bits));
    let read_only = matches!(m.class, Class::Read | Class::Sensitive);
    raw(
        out,
        if read_only {
            "\"readOnly\":true,"
        } else {
            "\"readOnly\":false,"
        },
    );
    raw(
        out,
        "\"eventType\":\"AwsApiCall\",\"managementEvent\":true,",
    );
    field(out, "recipientAccountId", &p.account);
    raw(out, "\"eventCategory\":\"Management\",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":");
    let host = m.service.split('.').next().unwrap_or("");
    if global {
        string(out, &format!("{host}.amazonaws.com"));
    } else {
        string(out, &format!("{host}.{region}.amazonaws.com"));
    }
    raw(out, "}}");
}
