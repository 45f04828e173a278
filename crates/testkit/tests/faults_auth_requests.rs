//! Fault injection, auth (§9), request recording, lifecycle.
mod common;

use std::time::{Duration, Instant};

use backup_actuator_testkit::{EmulatedCluster, Fault, Flavor};
use common::*;
use http::Method;
use serde_json::json;

#[tokio::test]
async fn delay_fault_waits_then_answers_normally() {
    // Long enough that an undelayed request on a loaded machine is never
    // mistaken for a delayed one: the lower bound is exact, and the second
    // request has 3 s to show that the fault was used up.
    const DELAY: Duration = Duration::from_secs(3);
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.inject_fault(Fault::delay(DELAY).times(1));
    let t = Instant::now();
    let r = get(&c, "/_snapshot/repo").await;
    assert!(t.elapsed() >= DELAY);
    assert_eq!(r.status, 200);
    let t = Instant::now();
    get(&c, "/_snapshot/repo").await;
    assert!(t.elapsed() < DELAY, "times(1) used up");
}

#[tokio::test]
async fn respond_fault_answers_exactly_what_was_given_without_handling() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    c.inject_fault(
        Fault::respond(502, "text/html", "<html>Bad Gateway</html>")
            .method(Method::PUT)
            .path_prefix("/_snapshot/repo/"),
    );
    let r = put(&c, "/_snapshot/repo/s", Some("{}")).await;
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("x-elastic-product"), None);
    assert_eq!(r.text(), "<html>Bad Gateway</html>");
    assert!(c.snapshot_names("repo").is_empty(), "not handled");
    // Other methods and paths are untouched.
    assert_eq!(get(&c, "/_snapshot/repo/_all").await.status, 200);
    c.clear_faults();
    assert_eq!(put(&c, "/_snapshot/repo/s", Some("{}")).await.status, 200);
}

#[tokio::test]
async fn close_connection_sends_nothing_and_does_not_handle() {
    let c = with_repo(Flavor::OpenSearch2).await;
    c.inject_fault(Fault::close_connection().times(1));
    assert!(send(&c, "PUT", "/_snapshot/repo/s", &[], Some("{}"))
        .await
        .is_err());
    assert!(c.snapshot_names("repo").is_empty());
    assert_eq!(put(&c, "/_snapshot/repo/s", Some("{}")).await.status, 200);
}

#[tokio::test]
async fn close_after_handling_loses_the_answer_but_keeps_the_change() {
    let c = with_repo(Flavor::OpenSearch2).await;
    c.inject_fault(Fault::close_after_handling().times(1));
    assert!(send(&c, "PUT", "/_snapshot/repo/s", &[], Some("{}"))
        .await
        .is_err());
    assert_eq!(c.snapshot_names("repo"), ["s"]);
}

#[tokio::test]
async fn reset_mid_body_sends_headers_and_part_of_the_body() {
    let c = with_repo(Flavor::Elasticsearch7_17).await;
    c.inject_fault(Fault::reset_mid_body());
    let r = get(&c, "/_snapshot/repo").await;
    assert_eq!(r.status, 200);
    assert!(!r.complete, "body must be cut");
    assert!(!r.body.is_empty());
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
}

#[tokio::test]
async fn truncated_announces_the_full_length_but_sends_half() {
    let c = with_repo(Flavor::Elasticsearch7_17).await;
    c.inject_fault(Fault::truncated());
    let r = get(&c, "/_snapshot/repo").await;
    let announced: usize = r.header("content-length").unwrap().parse().unwrap();
    assert!(!r.complete);
    assert_eq!(r.body.len(), announced / 2);
}

#[tokio::test]
async fn malformed_answers_200_with_invalid_json() {
    let c = with_repo(Flavor::Elasticsearch9).await;
    c.inject_fault(Fault::malformed());
    let r = get(&c, "/_snapshot/nope").await;
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert!(
        serde_json::from_slice::<serde_json::Value>(&r.body).is_err(),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn requests_are_recorded_in_order_with_raw_path_decoded_query_headers_and_body() {
    let c = with_repo(Flavor::Elasticsearch8_15).await;
    send(
        &c,
        "PUT",
        "/_snapshot/repo/%3Csnap%3E?wait_for_completion=false&x=a%20b",
        &[("X-Test", "1")],
        Some(r#"{"indices":[]}"#),
    )
    .await
    .unwrap();
    get(&c, "/").await;
    let reqs = c.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].method, Method::PUT);
    assert_eq!(reqs[0].path, "/_snapshot/repo/%3Csnap%3E");
    assert_eq!(reqs[0].decoded_path(), "/_snapshot/repo/<snap>");
    assert_eq!(
        reqs[0].query,
        [
            ("wait_for_completion".to_string(), "false".to_string()),
            ("x".to_string(), "a b".to_string())
        ]
    );
    assert_eq!(reqs[0].query_param("x"), Some("a b"));
    assert_eq!(reqs[0].headers.get("x-test").unwrap(), "1");
    assert_eq!(reqs[0].body_json(), Some(json!({"indices": []})));
    assert_eq!(reqs[1].path, "/");
    c.clear_requests();
    assert!(c.requests().is_empty());
}

#[tokio::test]
async fn elasticsearch_401_is_a_security_exception_with_challenges() {
    for f in Flavor::ALL.into_iter().filter(|f| !f.is_opensearch()) {
        let c = with_repo(f).await;
        c.require_basic_auth("elastic", "changeme");
        let r = get(&c, "/_snapshot/repo").await;
        let j = assert_error(
            &r,
            401,
            "security_exception",
            "missing authentication credentials for REST request [/_snapshot/repo]",
        );
        assert_eq!(
            r.header_all("www-authenticate"),
            [
                "Basic realm=\"security\" charset=\"UTF-8\"",
                "Bearer realm=\"security\"",
                "ApiKey"
            ]
        );
        assert_eq!(
            j["error"]["header"]["WWW-Authenticate"][0],
            "Basic realm=\"security\" charset=\"UTF-8\""
        );
        assert_eq!(
            j["error"]["root_cause"][0]["header"]["WWW-Authenticate"][2],
            "ApiKey"
        );
        let bad = send(
            &c,
            "GET",
            "/_snapshot/repo",
            &[("Authorization", "Basic ZWxhc3RpYzp3cm9uZw==")],
            None,
        )
        .await
        .unwrap();
        assert_error(
            &bad,
            401,
            "security_exception",
            "unable to authenticate user [elastic] for REST request [/_snapshot/repo]",
        );
        // elastic:changeme
        let ok = send(
            &c,
            "GET",
            "/_snapshot/repo",
            &[("Authorization", "Basic ZWxhc3RpYzpjaGFuZ2VtZQ==")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(ok.status, 200, "{f}");
        c.require_api_key("a2V5OnNlY3JldA==");
        let ok = send(
            &c,
            "GET",
            "/_snapshot/repo",
            &[("Authorization", "ApiKey a2V5OnNlY3JldA==")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(ok.status, 200, "{f}");
    }
}

#[tokio::test]
async fn opensearch_401_is_plain_text_unauthorized() {
    for f in Flavor::ALL.into_iter().filter(|f| f.is_opensearch()) {
        let c = with_repo(f).await;
        c.require_basic_auth("admin", "admin");
        let r = get(&c, "/_snapshot/repo").await;
        assert_eq!(r.status, 401);
        assert_eq!(r.text(), "Unauthorized");
        assert_eq!(
            r.header("www-authenticate"),
            Some("Basic realm=\"OpenSearch Security\"")
        );
        let ok = send(
            &c,
            "GET",
            "/_snapshot/repo",
            &[("Authorization", "Basic YWRtaW46YWRtaW4=")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(ok.status, 200, "{f}");
        c.require_bearer_token("tok");
        let ok = send(
            &c,
            "GET",
            "/_snapshot/repo",
            &[("Authorization", "Bearer tok")],
            None,
        )
        .await
        .unwrap();
        assert_eq!(ok.status, 200);
        c.clear_auth();
        assert_eq!(get(&c, "/_snapshot/repo").await.status, 200);
    }
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let c = start(Flavor::Elasticsearch8_15).await;
    let addr = c.addr();
    let clone = c.clone();
    c.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    drop(clone);
}

#[tokio::test]
async fn dropping_the_last_handle_stops_the_server() {
    let c = start(Flavor::OpenSearch3).await;
    let addr = c.addr();
    let clone = c.clone();
    drop(c);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_ok(),
        "a clone is still alive"
    );
    drop(clone);
    // Closing takes the server task a moment; a loaded machine gets 10 s.
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting 10 s after the last clone went"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn url_points_at_the_ephemeral_port() {
    let c: EmulatedCluster = start(Flavor::Elasticsearch7_10).await;
    assert_eq!(c.url(), format!("http://127.0.0.1:{}", c.addr().port()));
    assert_ne!(c.addr().port(), 0);
}
