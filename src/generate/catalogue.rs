//! Static catalogues: API methods per log family, user agents, names, network ranges.

/// How a method behaves, for habits and anomalies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A read or list call.
    Read,
    /// A mutating call.
    Write,
    /// A call that reads secrets or data (used by the method-mix anomaly).
    Sensitive,
    /// A call that grants privileges or creates credentials.
    Privileged,
}

/// One API method.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Method {
    /// `serviceName` / `eventSource`.
    pub service: &'static str,
    /// `methodName` / `eventName`.
    pub name: &'static str,
    /// The IAM permission checked (GCP) or the IAM action (CloudTrail).
    pub permission: &'static str,
    /// Behaviour class.
    pub class: Class,
}

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

use Class::*;

/// 26 GCP methods over 10 services.
#[rustfmt::skip]
pub(crate) const GCP_METHODS: [Method; 26] = [
    m("compute.googleapis.com", "v1.compute.instances.list", "compute.instances.list", Read),
    m("compute.googleapis.com", "v1.compute.instances.get", "compute.instances.get", Read),
    m("compute.googleapis.com", "v1.compute.instances.insert", "compute.instances.create", Write),
    m("storage.googleapis.com", "storage.objects.get", "storage.objects.get", Read),
    m("storage.googleapis.com", "storage.objects.list", "storage.objects.list", Read),
    m("storage.googleapis.com", "storage.objects.create", "storage.objects.create", Write),
    m("storage.googleapis.com", "storage.buckets.list", "storage.buckets.list", Sensitive),
    m("bigquery.googleapis.com", "google.cloud.bigquery.v2.JobService.InsertJob", "bigquery.jobs.create", Write),
    m("bigquery.googleapis.com", "google.cloud.bigquery.v2.TableService.GetTable", "bigquery.tables.get", Read),
    m("container.googleapis.com", "google.container.v1.ClusterManager.GetCluster", "container.clusters.get", Read),
    m("container.googleapis.com", "google.container.v1.ClusterManager.ListClusters", "container.clusters.list", Read),
    m("pubsub.googleapis.com", "google.pubsub.v1.Publisher.CreateTopic", "pubsub.topics.create", Write),
    m("pubsub.googleapis.com", "google.pubsub.v1.Subscriber.CreateSubscription", "pubsub.subscriptions.create", Write),
    m("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.ListSinks", "logging.sinks.list", Read),
    m("logging.googleapis.com", "google.logging.v2.ConfigServiceV2.CreateSink", "logging.sinks.create", Write),
    m("cloudresourcemanager.googleapis.com", "GetIamPolicy", "resourcemanager.projects.getIamPolicy", Read),
    m("cloudresourcemanager.googleapis.com", "GetProject", "resourcemanager.projects.get", Read),
    m("cloudresourcemanager.googleapis.com", "SetIamPolicy", "resourcemanager.projects.setIamPolicy", Privileged),
    m("iam.googleapis.com", "google.iam.admin.v1.ListServiceAccounts", "iam.serviceAccounts.list", Read),
    m("iam.googleapis.com", "google.iam.admin.v1.GetServiceAccount", "iam.serviceAccounts.get", Read),
    m("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey", "iam.serviceAccountKeys.create", Privileged),
    m("iam.googleapis.com", "google.iam.admin.v1.CreateRole", "iam.roles.create", Privileged),
    m("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccount", "iam.serviceAccounts.create", Privileged),
    m("secretmanager.googleapis.com", "google.cloud.secretmanager.v1.SecretManagerService.ListSecrets", "secretmanager.secrets.list", Sensitive),
    m("secretmanager.googleapis.com", "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion", "secretmanager.versions.access", Sensitive),
    m("cloudkms.googleapis.com", "Decrypt", "cloudkms.cryptoKeyVersions.useToDecrypt", Sensitive),
];

/// CloudTrail event names over IAM, S3, EC2, STS, KMS, CloudTrail and others.
#[rustfmt::skip]
pub(crate) const CT_METHODS: [Method; 28] = [
    m("ec2.amazonaws.com", "DescribeInstances", "ec2:DescribeInstances", Read),
    m("ec2.amazonaws.com", "DescribeSecurityGroups", "ec2:DescribeSecurityGroups", Read),
    m("ec2.amazonaws.com", "RunInstances", "ec2:RunInstances", Write),
    m("ec2.amazonaws.com", "StopInstances", "ec2:StopInstances", Write),
    m("s3.amazonaws.com", "ListBuckets", "s3:ListAllMyBuckets", Sensitive),
    m("s3.amazonaws.com", "GetBucketLocation", "s3:GetBucketLocation", Read),
    m("s3.amazonaws.com", "GetBucketPolicy", "s3:GetBucketPolicy", Sensitive),
    m("s3.amazonaws.com", "CreateBucket", "s3:CreateBucket", Write),
    m("iam.amazonaws.com", "ListUsers", "iam:ListUsers", Read),
    m("iam.amazonaws.com", "GetUser", "iam:GetUser", Read),
    m("iam.amazonaws.com", "ListRoles", "iam:ListRoles", Read),
    m("iam.amazonaws.com", "CreateUser", "iam:CreateUser", Privileged),
    m("iam.amazonaws.com", "CreateAccessKey", "iam:CreateAccessKey", Privileged),
    m("iam.amazonaws.com", "CreateRole", "iam:CreateRole", Privileged),
    m("iam.amazonaws.com", "AttachUserPolicy", "iam:AttachUserPolicy", Privileged),
    m("iam.amazonaws.com", "PutRolePolicy", "iam:PutRolePolicy", Privileged),
    m("sts.amazonaws.com", "GetCallerIdentity", "sts:GetCallerIdentity", Read),
    m("sts.amazonaws.com", "AssumeRole", "sts:AssumeRole", Write),
    m("kms.amazonaws.com", "Decrypt", "kms:Decrypt", Read),
    m("kms.amazonaws.com", "ListKeys", "kms:ListKeys", Sensitive),
    m("cloudtrail.amazonaws.com", "DescribeTrails", "cloudtrail:DescribeTrails", Read),
    m("cloudtrail.amazonaws.com", "LookupEvents", "cloudtrail:LookupEvents", Read),
    m("lambda.amazonaws.com", "ListFunctions20150331", "lambda:ListFunctions", Read),
    m("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", "lambda:UpdateFunctionCode", Write),
    m("logs.amazonaws.com", "DescribeLogGroups", "logs:DescribeLogGroups", Read),
    m("logs.amazonaws.com", "CreateLogStream", "logs:CreateLogStream", Write),
    m("secretsmanager.amazonaws.com", "ListSecrets", "secretsmanager:ListSecrets", Sensitive),
    m("secretsmanager.amazonaws.com", "GetSecretValue", "secretsmanager:GetSecretValue", Sensitive),
];

/// The index of a method by name in a catalogue.
pub(crate) fn method_index(methods: &[Method], name: &str) -> u16 {
    methods
        .iter()
        .position(|m| m.name == name)
        .unwrap_or_else(|| panic!("method {name} not in catalogue")) as u16
}

/// Browser and SDK agents humans use on GCP.
pub(crate) const GCP_HUMAN_AGENTS: [&str; 8] = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36,gzip(gfe)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36,gzip(gfe)",
    "Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0,gzip(gfe)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15,gzip(gfe)",
    "google-cloud-sdk gcloud/497.0.0 command/gcloud.compute.instances.list invocation-id/5c1e0d2b environment/None client-os/MACOSX interactive/True python/3.11.9,gzip(gfe)",
    "google-cloud-sdk gcloud/495.0.0 command/gcloud.storage.ls invocation-id/a91f33c0 environment/None client-os/LINUX interactive/True python/3.12.3,gzip(gfe)",
    "Terraform/1.9.8 (+https://www.terraform.io) Terraform-Plugin-SDK/2.33.0 terraform-provider-google/6.8.0,gzip(gfe)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0,gzip(gfe)",
];

/// Client libraries service accounts use on GCP.
pub(crate) const GCP_SERVICE_AGENTS: [&str; 5] = [
    "google-api-go-client/0.5 gl-go/1.22.5 gdcl/0.197.0,gzip(gfe)",
    "gcloud-python/3.26.0 gl-python/3.11.4 grpc/1.66.1 gax/2.19.1,gzip(gfe)",
    "Google-API-Java-Client/2.6.0 Google-HTTP-Java-Client/1.44.2 (gzip),gzip(gfe)",
    "gl-node/20.17.0 gccl/7.12.1 gccl-invocation-id/0f3b9c1e,gzip(gfe)",
    "grpc-go/1.66.2,gzip(gfe)",
];

/// Agents humans use on AWS.
pub(crate) const CT_HUMAN_AGENTS: [&str; 6] = [
    "AWS Internal",
    "aws-cli/2.17.50 md/awscrt#0.21.2 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#s3.ls",
    "aws-cli/2.18.2 md/awscrt#0.21.5 ua/2.0 os/linux#6.8.0 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#ec2.describe-instances",
    "signin.amazonaws.com",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.72.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.2 ua/2.1 os/macos lang/go#1.22.8 md/GOOS#darwin md/GOARCH#arm64 api/iam#1.37.2",
];

/// SDKs machine roles use on AWS.
pub(crate) const CT_SERVICE_AGENTS: [&str; 4] = [
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36",
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.22.8 md/GOOS#linux md/GOARCH#amd64 api/s3#1.65.3",
    "aws-sdk-java/2.28.16 Linux/5.10.226-214.880.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/legacy",
    "aws-sdk-nodejs/2.1691.0 linux/v20.17.0 exec-env/AWS_Lambda_nodejs20.x promise",
];

/// Agents never used by normal principals (the user-agent-switch anomaly).
pub(crate) const ODD_AGENTS: [&str; 7] = [
    "python-requests/2.32.3",
    "curl/8.10.1",
    "aws-cli/1.18.69 Python/2.7.18 Linux/4.14.186 botocore/1.17.0",
    "Terraform/0.12.31 (+https://www.terraform.io)",
    "Go-http-client/1.1",
    "Wget/1.21.4",
    "PostmanRuntime/7.42.0",
];

/// A home country: UTC offsets (minutes) and public /16 prefixes.
pub(crate) struct Country {
    /// Possible UTC offsets in minutes.
    pub offsets: &'static [i32],
    /// First two octets of its address ranges.
    pub prefixes: &'static [(u8, u8)],
}

/// Home countries of human principals.
#[rustfmt::skip]
pub(crate) const COUNTRIES: [Country; 8] = [
    Country { offsets: &[-480, -420, -360, -300], prefixes: &[(73, 158), (98, 207), (24, 5), (67, 180)] },
    Country { offsets: &[-180], prefixes: &[(177, 32), (189, 6)] },
    Country { offsets: &[0], prefixes: &[(81, 2), (86, 140)] },
    Country { offsets: &[60], prefixes: &[(84, 150), (91, 64)] },
    Country { offsets: &[330], prefixes: &[(49, 36), (117, 200)] },
    Country { offsets: &[480], prefixes: &[(118, 200), (203, 116)] },
    Country { offsets: &[540], prefixes: &[(126, 70), (153, 240)] },
    Country { offsets: &[600], prefixes: &[(101, 160), (1, 144)] },
];

/// Cloud-provider ranges service accounts call from.
pub(crate) const CLOUD_PREFIXES: [(u8, u8); 4] = [(34, 82), (35, 197), (34, 141), (52, 14)];

/// Ranges never used by normal principals (the new-network anomaly).
pub(crate) const FOREIGN_PREFIXES: [(u8, u8); 6] = [
    (185, 220),
    (45, 134),
    (193, 32),
    (91, 219),
    (176, 111),
    (5, 188),
];

/// First names of human principals.
#[rustfmt::skip]
pub(crate) const FIRST_NAMES: [&str; 40] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
    "mallory", "nina", "oscar", "peggy", "quinn", "rupert", "sybil", "trent", "ursula", "victor",
    "wendy", "xavier", "yuki", "zoe", "aditya", "beatriz", "chen", "dmitri", "emeka", "fatima",
    "gustav", "hana", "ines", "jonas", "kenji", "lucia", "mateo", "noor", "olga", "priya",
];

/// Last names of human principals.
#[rustfmt::skip]
pub(crate) const LAST_NAMES: [&str; 40] = [
    "smith", "johnson", "garcia", "miller", "davis", "martin", "lopez", "wilson", "anderson", "thomas",
    "moore", "jackson", "white", "harris", "clark", "lewis", "walker", "young", "allen", "king",
    "wright", "scott", "green", "baker", "adams", "nelson", "hill", "campbell", "mitchell", "roberts",
    "tanaka", "schmidt", "kumar", "silva", "nguyen", "kowalski", "muller", "rossi", "sato", "okafor",
];

/// Names of workloads behind service accounts and machine roles.
#[rustfmt::skip]
pub(crate) const JOB_NAMES: [&str; 16] = [
    "etl-loader", "backup-runner", "ci-deployer", "metrics-exporter", "billing-sync", "log-shipper",
    "api-backend", "report-builder", "image-resizer", "cert-renewer", "db-migrator", "cache-warmer",
    "search-indexer", "notifier", "scheduler", "data-archiver",
];

/// Project / account name stems.
pub(crate) const PROJECTS: [&str; 4] = ["acme-prod", "acme-data", "acme-staging", "acme-shared"];

/// AWS regions used by CloudTrail principals.
pub(crate) const REGIONS: [&str; 4] = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"];

/// GCP zones.
pub(crate) const ZONES: [&str; 4] = [
    "us-central1-a",
    "us-east1-b",
    "europe-west1-c",
    "asia-northeast1-a",
];
