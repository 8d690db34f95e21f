//! Single-thread throughput of `parse_record` on in-memory JSON lines.
//!
//! Builds a GCP buffer (~1.2 KB `LogEntry` lines shaped like the benchmark workload in
//! `shared/bench/WORKLOAD.md`) and a CloudTrail buffer, each about 80 MB, with some user
//! agents holding escaped characters, then parses every line and reports MB/s and events/s,
//! median of 3. Run with `cargo bench --bench parse`.

use auditflow::event::Position;
use auditflow::parse::{parse_record, Format};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

const TARGET_BYTES: usize = 80 << 20;

const METHODS: &[(&str, &str)] = &[
    ("compute.googleapis.com", "v1.compute.instances.insert"),
    ("compute.googleapis.com", "v1.compute.instances.delete"),
    (
        "iam.googleapis.com",
        "google.iam.admin.v1.CreateServiceAccountKey",
    ),
    ("iam.googleapis.com", "google.iam.admin.v1.SetIamPolicy"),
    ("storage.googleapis.com", "storage.buckets.create"),
    ("cloudresourcemanager.googleapis.com", "SetIamPolicy"),
    (
        "bigquery.googleapis.com",
        "google.cloud.bigquery.v2.JobService.InsertJob",
    ),
    (
        "container.googleapis.com",
        "google.container.v1.ClusterManager.CreateCluster",
    ),
];

const AGENTS: &[&str] = &[
    "google-cloud-sdk gcloud/460.0.0 command/gcloud.compute.instances.create invocation-id/0f3c9a2b environment/None,gzip(gfe)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36,gzip(gfe)",
    "Terraform/1.7.2 (+https://www.terraform.io) terraform-provider-google/5.12.0,gzip(gfe)",
    // Escaped content, as real user agents have.
    "python-requests/2.31 \\\"custom\\\" agent \\u00e9t\\u00e9 (\\\\server\\\\share),gzip(gfe)",
];

fn gcp_line(i: usize) -> String {
    let (service, method) = METHODS[i % METHODS.len()];
    let principal = if i % 3 == 0 {
        format!("svc-{}@proj-{}.iam.gserviceaccount.com", i % 1000, i % 7)
    } else {
        format!("user{}@example.com", i % 5000)
    };
    let status = match i % 10 {
        0 => r#""status":{"code":7,"message":"PERMISSION_DENIED"},"#.to_string(),
        1..=4 => r#""status":{},"#.to_string(),
        _ => String::new(),
    };
    let ts = format!(
        "2024-08-01T{:02}:{:02}:{:02}.{:09}Z",
        (i / 3600) % 24,
        (i / 60) % 60,
        i % 60,
        i % 999_999_937
    );
    format!(
        concat!(
            r#"{{"logName":"projects/proj-{p}/logs/cloudaudit.googleapis.com%2Factivity","insertId":"{id:x}-{i}","#,
            r#""timestamp":"{ts}","receiveTimestamp":"{ts}","severity":"NOTICE","#,
            r#""resource":{{"type":"gce_instance","labels":{{"project_id":"proj-{p}","zone":"europe-west1-b","instance_id":"{i}"}}}},"#,
            r#""protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog",{status}"#,
            r#""authenticationInfo":{{"principalEmail":"{principal}"}},"#,
            r#""requestMetadata":{{"callerIp":"10.{a}.{b}.{c}","callerSuppliedUserAgent":"{ua}","#,
            r#""requestAttributes":{{"time":"{ts}","auth":{{}}}},"destinationAttributes":{{}}}},"#,
            r#""serviceName":"{service}","methodName":"{method}","#,
            r#""authorizationInfo":[{{"resource":"projects/proj-{p}/zones/europe-west1-b/instances/vm-{i}","permission":"compute.instances.create","granted":true,"resourceAttributes":{{}}}}],"#,
            r#""resourceName":"projects/proj-{p}/zones/europe-west1-b/instances/vm-{i}","#,
            r#""request":{{"@type":"type.googleapis.com/compute.instances.insert","name":"vm-{i}","machineType":"e2-medium"}},"#,
            r#""response":{{"@type":"type.googleapis.com/operation","id":"{id}","status":"RUNNING"}},"#,
            r#""metadata":{{"@type":"type.googleapis.com/google.cloud.audit.CloudAuditMetadata"}}}}}}"#
        ),
        p = i % 7,
        id = i * 2654435761 % 1_000_000_007,
        i = i,
        ts = ts,
        status = status,
        principal = principal,
        a = i % 250,
        b = (i / 250) % 250,
        c = i % 199,
        ua = AGENTS[i % AGENTS.len()],
        service = service,
        method = method,
    )
}

fn cloudtrail_line(i: usize) -> String {
    let identity = if i % 2 == 0 {
        format!(
            r#"{{"type":"IAMUser","principalId":"AIDA{i}","arn":"arn:aws:iam::123456789012:user/user{u}","accountId":"123456789012","accessKeyId":"AKIA{i}","userName":"user{u}"}}"#,
            u = i % 5000
        )
    } else {
        format!(
            r#"{{"type":"AssumedRole","principalId":"AROA{i}:session{u}","arn":"arn:aws:sts::123456789012:assumed-role/role{r}/session{u}","accountId":"123456789012","accessKeyId":"ASIA{i}","sessionContext":{{"sessionIssuer":{{"type":"Role","principalId":"AROA{i}","arn":"arn:aws:iam::123456789012:role/role{r}","accountId":"123456789012","userName":"role{r}"}},"webIdFederationData":{{}},"attributes":{{"creationDate":"2024-08-01T10:00:00Z","mfaAuthenticated":"false"}}}}}}"#,
            u = i % 5000,
            r = i % 50
        )
    };
    let error = if i % 10 == 0 {
        r#""errorCode":"AccessDenied","errorMessage":"User is not authorized to perform this action","#
    } else {
        ""
    };
    let ua = if i % 4 == 3 {
        r#"aws-cli/2.15.0 Python/3.11.6 \"quoted\" exec-env/CloudShell"#
    } else {
        "aws-sdk-go-v2/1.24.1 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/iam#1.28.7"
    };
    format!(
        concat!(
            r#"{{"eventVersion":"1.09","userIdentity":{identity},"eventTime":"2024-08-01T{h:02}:{m:02}:{s:02}Z","#,
            r#""eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","awsRegion":"us-east-1","#,
            r#""sourceIPAddress":"198.51.{a}.{b}","userAgent":"{ua}",{error}"#,
            r#""requestParameters":{{"userName":"target{i}","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}},"#,
            r#""responseElements":null,"requestID":"{id:x}","eventID":"{id:x}-{i}","readOnly":false,"#,
            r#""eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","#,
            r#""tlsDetails":{{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}}}}"#
        ),
        identity = identity,
        h = (i / 3600) % 24,
        m = (i / 60) % 60,
        s = i % 60,
        a = i % 250,
        b = (i / 250) % 250,
        ua = ua,
        error = error,
        i = i,
        id = i * 2654435761 % 1_000_000_007,
    )
}

fn build(line: fn(usize) -> String) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut buf = Vec::with_capacity(TARGET_BYTES + 4096);
    let mut spans = Vec::new();
    let mut i = 0;
    while buf.len() < TARGET_BYTES {
        let start = buf.len();
        buf.extend_from_slice(line(i).as_bytes());
        spans.push((start, buf.len()));
        buf.push(b'\n');
        i += 1;
    }
    (buf, spans)
}

fn run(name: &str, format: Format, line: fn(usize) -> String) {
    let (buf, spans) = build(line);
    let pos = Position::line(Arc::from("bench"), 0, 1);
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let mut ok = 0usize;
        for &(s, e) in &spans {
            if black_box(parse_record(format, &buf[s..e], &pos)).is_ok() {
                ok += 1;
            }
        }
        assert_eq!(ok, spans.len(), "{name}: every line must parse");
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let secs = times[1];
    println!(
        "{name:<22} {:>6} lines, {:>5.1} MB, avg {:>4} B/line: {:>7.1} MB/s, {:>10.0} events/s (median of 3: {:.3}s)",
        spans.len(),
        buf.len() as f64 / 1e6,
        buf.len() / spans.len(),
        buf.len() as f64 / 1e6 / secs,
        spans.len() as f64 / secs,
        secs,
    );
}

/// The parse floor for comparison: sonic-rs typed borrowed parse of the eight fields only.
mod floor {
    use serde::Deserialize;
    use std::borrow::Cow;
    #[derive(Deserialize)]
    pub struct Entry<'a> {
        #[serde(borrow)]
        pub timestamp: Cow<'a, str>,
        #[serde(rename = "insertId", borrow)]
        pub insert_id: Cow<'a, str>,
        #[serde(rename = "protoPayload", borrow)]
        pub p: Payload<'a>,
    }
    #[derive(Deserialize)]
    pub struct Payload<'a> {
        #[serde(rename = "serviceName", borrow)]
        pub service: Cow<'a, str>,
        #[serde(rename = "methodName", borrow)]
        pub method: Cow<'a, str>,
        #[serde(rename = "authenticationInfo", borrow)]
        pub auth: Auth<'a>,
        #[serde(rename = "requestMetadata", borrow)]
        pub meta: Meta<'a>,
        pub status: Option<Status>,
    }
    #[derive(Deserialize)]
    pub struct Auth<'a> {
        #[serde(rename = "principalEmail", borrow)]
        pub email: Cow<'a, str>,
    }
    #[derive(Deserialize)]
    pub struct Meta<'a> {
        #[serde(rename = "callerIp", borrow)]
        pub ip: Cow<'a, str>,
        #[serde(rename = "callerSuppliedUserAgent", borrow)]
        pub ua: Cow<'a, str>,
    }
    #[derive(Deserialize)]
    pub struct Status {
        pub code: Option<i64>,
    }
}

fn run_floor(line: fn(usize) -> String) {
    let (buf, spans) = build(line);
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        for &(s, e) in &spans {
            let x: floor::Entry = sonic_rs::from_slice(&buf[s..e]).unwrap();
            let (p, code) = (&x.p, x.p.status.as_ref().and_then(|s| s.code));
            black_box((
                &x.timestamp,
                &x.insert_id,
                &p.service,
                &p.method,
                &p.auth.email,
            ));
            black_box((&p.meta.ip, &p.meta.ua, code));
        }
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{:<24} {:>7.1} MB/s, {:>10.0} events/s (sonic-rs typed borrowed structs, no event built)",
        "gcp floor (reference)",
        buf.len() as f64 / 1e6 / times[1],
        spans.len() as f64 / times[1],
    );
}

fn main() {
    run_floor(gcp_line);
    run("gcp (format gcp)", Format::Gcp, gcp_line);
    run("gcp (format auto)", Format::Auto, gcp_line);
    run(
        "cloudtrail (cloudtrail)",
        Format::Cloudtrail,
        cloudtrail_line,
    );
    run("cloudtrail (auto)", Format::Auto, cloudtrail_line);
}
