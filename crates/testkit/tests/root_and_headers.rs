//! §7 root endpoint and product detection, §1.3 content types, product header.
mod common;

use backup_actuator_testkit::Flavor;
use common::*;

#[tokio::test]
async fn root_body_has_the_product_shape_and_compat_versions() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let r = get(&c, "/").await;
        assert_eq!(r.status, 200);
        let o = r.ordered();
        assert_eq!(
            o.keys(),
            ["name", "cluster_name", "cluster_uuid", "version", "tagline"],
            "{f}"
        );
        let v = r.json();
        assert_eq!(v["version"]["number"], f.version(), "{f}");
        let version_keys = o.get("version").keys();
        let (wire, index) = match f {
            Flavor::Elasticsearch7_10 | Flavor::Elasticsearch7_17 | Flavor::OpenSearch1 => {
                ("6.8.0", "6.0.0-beta1")
            }
            Flavor::Elasticsearch8_3 | Flavor::Elasticsearch8_13 | Flavor::Elasticsearch8_15 => {
                ("7.17.0", "7.0.0")
            }
            Flavor::Elasticsearch9 => ("8.19.0", "8.0.0"),
            Flavor::OpenSearch2 => ("7.10.0", "7.0.0"),
            Flavor::OpenSearch3 => ("2.19.0", "2.0.0"),
        };
        assert_eq!(
            v["version"]["minimum_wire_compatibility_version"], wire,
            "{f}"
        );
        assert_eq!(
            v["version"]["minimum_index_compatibility_version"], index,
            "{f}"
        );
        if f.is_opensearch() {
            assert_eq!(
                version_keys[0], "distribution",
                "{f}: distribution comes first"
            );
            assert_eq!(v["version"]["distribution"], "opensearch");
            assert!(v["version"].get("build_flavor").is_none(), "{f}");
            assert_eq!(
                v["tagline"],
                "The OpenSearch Project: https://opensearch.org/"
            );
        } else {
            assert!(v["version"].get("distribution").is_none(), "{f}");
            assert_eq!(v["version"]["build_flavor"], "default", "{f}");
            assert_eq!(v["tagline"], "You Know, for Search", "{f}");
        }
    }
}

#[tokio::test]
async fn root_is_pretty_printed_unless_pretty_is_given() {
    let c = start(Flavor::Elasticsearch8_15).await;
    let r = get(&c, "/").await;
    assert!(r.text().starts_with("{\n  \"name\" : "), "{}", r.text());
    assert!(r.text().ends_with("}\n"));
    let r = get(&c, "/?pretty=false").await;
    assert!(r.text().starts_with("{\"name\":"), "{}", r.text());
}

#[tokio::test]
async fn product_header_is_sent_by_es_7_14_and_later_on_every_response() {
    for f in Flavor::ALL {
        let c = start(f).await;
        let ok = get(&c, "/").await;
        let missing = get(&c, "/_snapshot/nope").await;
        let unknown = get(&c, "/_nothing/here").await;
        for r in [&ok, &missing, &unknown] {
            let expected = es_at_least(f, 7, 14).then_some("Elasticsearch");
            assert_eq!(
                r.header("X-elastic-product"),
                expected,
                "{f} status {}",
                r.status
            );
        }
    }
}

#[tokio::test]
async fn content_type_has_charset_on_es_7_and_opensearch_only() {
    for f in Flavor::ALL {
        let c = start(f).await;
        for r in [get(&c, "/").await, get(&c, "/_snapshot/nope").await] {
            let expected = if es_at_least(f, 8, 0) {
                "application/json"
            } else {
                "application/json; charset=UTF-8"
            };
            assert_eq!(r.header("content-type"), Some(expected), "{f}");
        }
    }
}

#[tokio::test]
async fn no_date_header_like_the_real_servers() {
    let c = start(Flavor::OpenSearch2).await;
    assert_eq!(get(&c, "/").await.header("date"), None);
}

#[tokio::test]
async fn head_root_answers_200_without_body() {
    let c = start(Flavor::Elasticsearch7_10).await;
    let r = send(&c, "HEAD", "/", &[], None).await.unwrap();
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn rest_compat_content_type_is_rejected_with_406_unless_the_server_speaks_that_version() {
    for f in Flavor::ALL {
        let c = with_repo(f).await;
        let ct = "application/vnd.elasticsearch+json; compatible-with=8";
        let r = send(
            &c,
            "PUT",
            "/_snapshot/repo/snap",
            &[("Content-Type", ct), ("Accept", ct)],
            Some("{}"),
        )
        .await
        .unwrap();
        if f.is_opensearch() || f == Flavor::Elasticsearch7_10 || f == Flavor::Elasticsearch7_17 {
            assert_eq!(r.status, 406, "{f}");
            assert_eq!(
                r.json(),
                serde_json::json!({"error": format!("Content-Type header [{ct}] is not supported"), "status": 406})
            );
        } else {
            assert_eq!(r.status, 200, "{f}: {}", r.text());
            assert_eq!(
                r.header("content-type"),
                Some("application/vnd.elasticsearch+json;compatible-with=8"),
                "{f}"
            );
        }
    }
}

#[tokio::test]
async fn flavor_metadata() {
    assert_eq!(
        Flavor::ALL.map(|f| f.version()),
        ["7.10.2", "7.17.22", "8.3.3", "8.13.4", "8.15.3", "9.1.0", "1.3.19", "2.11.0", "3.1.0"]
    );
    assert_eq!(Flavor::OpenSearch2.to_string(), "OpenSearch 2.11.0");
    assert_eq!(Flavor::ALL.iter().filter(|f| f.is_opensearch()).count(), 3);
}
