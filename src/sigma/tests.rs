//! Rule-level tests: whole rules parsed from YAML and evaluated on JSON records.

use super::*;
use serde_json::json;

fn rule(yaml: &str) -> Rule {
    Rule::parse(yaml).unwrap()
}

const HEAD: &str = "title: T\nid: r1\nlevel: high\ntags: [attack.t1098]\nlogsource:\n  product: aws\n  service: cloudtrail\n";

fn detect(detection: &str) -> Rule {
    rule(&format!("{HEAD}detection:\n{detection}"))
}

#[test]
fn null_means_absent_or_null_and_lists_of_maps_are_alternatives() {
    let r = detect(
        "  sel:\n    - eventName: A\n      errorCode: null\n    - eventName: B\n  condition: sel\n",
    );
    assert!(r.evaluate(&json!({"eventName": "a"})).is_some());
    assert!(r
        .evaluate(&json!({"eventName": "A", "errorCode": null}))
        .is_some());
    assert!(r
        .evaluate(&json!({"eventName": "A", "errorCode": "Denied"}))
        .is_none());
    assert!(r
        .evaluate(&json!({"eventName": "B", "errorCode": "Denied"}))
        .is_some());
}

#[test]
fn all_requires_every_value_and_keywords_search_every_value() {
    let r = detect("  sel:\n    requestParameters|contains|all: [s3, Allow]\n  condition: sel\n");
    let both = json!({"requestParameters": {"doc": "s3:Get Allow"}});
    assert!(r.evaluate(&both).is_some());
    assert!(r
        .evaluate(&json!({"requestParameters": {"doc": "s3:Get"}}))
        .is_none());
    let r = detect("  keywords: [break-glass]\n  condition: keywords\n");
    let hit = r
        .evaluate(&json!({"a": {"b": ["x", "image-policy/BREAK-GLASS"]}}))
        .unwrap();
    assert_eq!(hit.fields["keywords"], "image-policy/BREAK-GLASS");
    assert!(r.evaluate(&json!({"a": "glass"})).is_none());
}

#[test]
fn hits_name_positive_selections_and_matched_values() {
    let r = detect(
        "  selection_a:\n    eventName|startswith: Attach\n  selection_b:\n    eventName: Detach\n  filter:\n    userIdentity.type: Root\n  condition: 1 of selection_* and not filter\n",
    );
    let hit = r
        .evaluate(&json!({"eventName": "AttachUserPolicy", "userIdentity": {"type": "IAMUser"}}))
        .unwrap();
    assert_eq!(hit.selections, vec!["selection_a"]);
    assert_eq!(hit.fields["eventName"], "AttachUserPolicy");
    assert!(r
        .evaluate(&json!({"eventName": "AttachUserPolicy", "userIdentity": {"type": "Root"}}))
        .is_none());
    assert_eq!((r.id.as_str(), r.level.as_str()), ("r1", "high"));
    assert_eq!(r.tags, vec!["attack.t1098"]);
}

#[test]
fn eventbridge_envelopes_and_fieldref() {
    let r = detect("  sel:\n    userIdentity.userName|fieldref: requestParameters.userName\n  condition: sel\n");
    let same = json!({"detail-type": "AWS API Call via CloudTrail", "detail": {
        "userIdentity": {"userName": "bob"}, "requestParameters": {"userName": "bob"}}});
    assert!(r.evaluate(&same).is_some());
    let other =
        json!({"userIdentity": {"userName": "bob"}, "requestParameters": {"userName": "eve"}});
    assert!(r.evaluate(&other).is_none());
}

#[test]
fn unsupported_rules_say_why() {
    for (text, needle) in [
        ("title: x\nlogsource: {product: windows}\ndetection: {s: {a: b}, condition: s}\n", "logsource"),
        ("title: x\ncorrelation: {type: event_count}\n", "correlation"),
        ("title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {s: {a|re: '(?<=x)y'}, condition: s}\n", "look-around"),
        ("title: x\nlogsource: {product: aws, service: cloudtrail}\ndetection: {s: {a: b}}\n", "condition"),
        ("title: [\n", "YAML"),
        ("title: a\n---\ntitle: b\n", "one rule per file"),
    ] {
        let err = Rule::parse(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text}: {err}");
    }
}

#[test]
fn rule_sets_skip_records_of_other_families() {
    let set = RuleSet::new(vec![detect("  sel: {eventName: X}\n  condition: sel\n")]);
    let raw = br#"{"eventName": "X"}"#;
    assert_eq!(set.evaluate(Target::Cloudtrail, raw).len(), 1);
    assert!(set.evaluate(Target::Gcp, raw).is_empty());
    assert!(set.evaluate(Target::Cloudtrail, b"not json").is_empty());
}

/// Modifier tests (kept here to keep value.rs short).
mod value_tests {
    use crate::sigma::value::*;
    use base64::Engine;
    use serde_json::{json, Value};
    use yaml_rust2::Yaml;

    fn one(mods: &[&str], value: Yaml) -> Matcher {
        compile(mods, &[value]).unwrap().0.remove(0)
    }

    fn hit(m: &Matcher, v: Value) -> bool {
        m.first_match(&[&v], &json!({})).is_some()
    }

    #[test]
    fn base64offset_finds_the_value_at_any_alignment() {
        let m = one(
            &["base64offset", "contains"],
            Yaml::String("/bin/bash".into()),
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        for prefix in ["", "x", "xy"] {
            let encoded = b64.encode(format!("{prefix}/bin/bash -i"));
            assert!(hit(&m, json!(encoded)), "prefix {prefix:?}");
        }
        assert!(!hit(&m, json!(b64.encode("/bin/sh"))));
    }

    #[test]
    fn cidr_numbers_exists_and_null() {
        let m = one(&["cidr"], Yaml::String("10.0.0.0/8".into()));
        assert!(hit(&m, json!("10.1.2.3")) && !hit(&m, json!("11.0.0.1")));
        let m = one(&["gte"], Yaml::Integer(400));
        assert!(hit(&m, json!(403)) && hit(&m, json!("500")) && !hit(&m, json!(200)));
        let m = one(&["exists"], Yaml::Boolean(false));
        assert!(m.first_match(&[], &json!({})).is_some() && !hit(&m, json!("x")));
        assert!(Matcher::Null
            .first_match(&[&json!(null)], &json!({}))
            .is_some());
        assert!(!hit(&Matcher::Null, json!("")));
    }

    #[test]
    fn unsupported_modifiers_are_named() {
        let err = compile(&["expand"], &[Yaml::String("%x%".into())]).unwrap_err();
        assert!(err.to_string().contains("expand"), "{err}");
        let err = compile(&["nosuch"], &[Yaml::String("x".into())]).unwrap_err();
        assert!(err.to_string().contains("nosuch"), "{err}");
    }

    #[test]
    fn windash_and_regex() {
        let m = one(&["windash", "contains"], Yaml::String(" -enc ".into()));
        assert!(hit(&m, json!("ps /enc x")) && hit(&m, json!("ps -ENC x")));
        let m = one(&["re"], Yaml::String(".+:assumed-role/aws:.+".into()));
        assert!(hit(
            &m,
            json!("arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1")
        ));
        assert!(!hit(&m, json!("arn:aws:sts::1:assumed-role/AWS:x")));
    }
}
