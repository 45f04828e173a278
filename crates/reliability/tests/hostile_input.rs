//! Bad input, at volume: arbitrary methods, paths, percent-encodings,
//! headers and bodies fed to `BackupService`. Never a panic, never a 5xx
//! (the memory store never fails, so a 5xx could only be the service's own),
//! and the store never sees a pattern or name with anything but validated
//! id digits in it.
//!
//! Cases: `HOSTILE_INPUT_CASES` (default 100,000).

use std::sync::{Arc, OnceLock};

use backup_actuator_core::BackupPlan;
use backup_actuator_reliability::{call, RecordingStore, StoreCall};
use backup_actuator_service::BackupService;
use backup_actuator_store::{MemoryStore, SnapshotStore};
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const METHODS: &[&str] = &[
    "GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "BREW", "get",
];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9]{1,25}",
        "-?[0-9]{1,5}(\\.[0-9])?",
        "(%[0-9A-Fa-f]{2}){1,4}",
        "[0-9]*[,*_a-z+]{1,3}[0-9]*",
        "[!-~]{0,12}".prop_map(|s| percent_encode_unsafe(&s)),
        any::<String>()
            .prop_map(|s| percent_encode_unsafe(&s.chars().take(12).collect::<String>())),
    ]
}

/// What a client must percent-encode to put text in a path at all; the
/// rest (`%`, `,`, `*`, `+`, …) is sent as it is, as hostile clients do.
fn percent_encode_unsafe(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'!'..=b'~' if !b"\"#<>?`{|}^[]".contains(&b) => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn path() -> impl Strategy<Value = String> {
    let base = prop_oneof![
        Just("/actuator".to_owned()),
        Just("/actuator/".to_owned()),
        Just("".to_owned()),
        Just("/ACTUATOR".to_owned()),
        "/[a-z%0-9]{0,8}",
    ];
    let route = prop_oneof![
        Just("/backups".to_owned()),
        Just("/backup".to_owned()),
        Just("//backups".to_owned()),
        "/[a-z]{0,8}",
    ];
    (
        base,
        route,
        proptest::collection::vec(segment(), 0..3),
        proptest::option::of("[!-~]{0,10}".prop_map(|q| percent_encode_unsafe(&q))),
    )
        .prop_map(|(base, route, segments, query)| {
            let mut path = format!("{base}{route}");
            for s in segments {
                path.push('/');
                path.push_str(&s);
            }
            if let Some(q) = query {
                path.push('?');
                path.push_str(&q);
            }
            path
        })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        "\\{\"backupId\": ?(-?[0-9]{1,22}(\\.[0-9]+)?([eE][+-]?[0-9]{1,3})?|\"[^\"]{0,12}\"|null|true|\\[\\]|\\{\\})\\}"
            .prop_map(String::into_bytes),
        "[{}\\[\\]\":,0-9a-zA-Z ]{0,40}".prop_map(String::into_bytes),
        Just(vec![b' '; 70_000]),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let value = prop_oneof![
        4 => "[ -~]{0,30}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..30),
    ];
    proptest::collection::vec(("[a-zA-Z-]{1,20}", value), 0..4)
}

/// Only what the plan builds from a validated id ever reaches the store.
/// Written from SPEC §2, §3 and §6 as literal shapes, not with the plan's
/// own parser: the names of Optimize 8.6.0's two parts and the claim.
fn is_allowed_call(call: &StoreCall) -> bool {
    match call {
        // One id's lookup, or the list's: `{prefix}_{P}` with P the list's
        // `pattern` (SPEC §1: 1 to 64 digits or `*`), `*` without one.
        StoreCall::Find(pattern) | StoreCall::FindStates(pattern) => {
            let rest = pattern.strip_prefix("camunda_optimize_");
            rest.and_then(|p| p.strip_suffix("_*"))
                .is_some_and(is_written_id)
                || rest.is_some_and(|p| {
                    (1..=64).contains(&p.len())
                        && p.bytes().all(|b| b.is_ascii_digit() || b == b'*')
                })
        }
        StoreCall::Create(name) => is_part_or_claim(name),
        StoreCall::Delete(names) => !names.is_empty() && names.iter().all(|n| is_part_or_claim(n)),
    }
}

/// An id as the plan writes it (SPEC §3): ASCII digits, no leading zero
/// (`0` alone allowed), at most 9223372036854775807.
fn is_written_id(digits: &str) -> bool {
    const MAX: &str = "9223372036854775807";
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && (digits.len() < MAX.len() || (digits.len() == MAX.len() && digits <= MAX))
}

/// `camunda_optimize_{id}_8.6.0_part_{1,2}_of_2` or `camunda_optimize_{id}_claim`.
fn is_part_or_claim(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("camunda_optimize_") else {
        return false;
    };
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (id, suffix) = rest.split_at(digits_end);
    is_written_id(id) && ["_8.6.0_part_1_of_2", "_8.6.0_part_2_of_2", "_claim"].contains(&suffix)
}

#[test]
fn the_oracle_takes_only_the_names_spec_3_writes() {
    assert!(is_part_or_claim("camunda_optimize_0_8.6.0_part_1_of_2"));
    assert!(is_part_or_claim(
        "camunda_optimize_9223372036854775807_claim"
    ));
    for name in [
        "camunda_optimize_07_8.6.0_part_1_of_2",
        "camunda_optimize_9223372036854775808_claim",
        "camunda_optimize_1_8.6.0_part_3_of_2",
        "camunda_optimize_1,*_claim",
        "camunda_optimize__claim",
        "camunda_optimize_1_before_upgrade",
    ] {
        assert!(!is_part_or_claim(name), "{name}");
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        // POST waits for its claim's release with a timeout.
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

#[test]
fn arbitrary_requests_never_panic_never_5xx_and_reach_the_store_only_with_id_digits() {
    let cases = std::env::var("HOSTILE_INPUT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let store = RecordingStore::new(MemoryStore::new());
    let service = BackupService::builder(
        Arc::new(store.clone()) as Arc<dyn SnapshotStore>,
        BackupPlan::optimize("8.6.0").unwrap(),
    )
    .repository("backups")
    .build();

    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let built = std::cell::Cell::new(0u32);
    runner
        .run(
            &(proptest::sample::select(METHODS), path(), headers(), body()),
            |(method, path, headers, body)| {
                let Ok(method) = Method::from_bytes(method.as_bytes()) else {
                    return Ok(());
                };
                let mut builder = Request::builder().method(method).uri(path.as_str());
                for (name, value) in &headers {
                    builder = builder.header(name.as_str(), value.as_slice());
                }
                // Inputs http itself refuses never reach a service.
                let Ok(request) = builder.body(Full::new(Bytes::from(body))) else {
                    return Ok(());
                };
                built.set(built.get() + 1);
                let (response, bytes) = runtime().block_on(call(&service, request));
                let status = response.status().as_u16();
                prop_assert!(
                    status < 500,
                    "{status} for {path}: {}",
                    String::from_utf8_lossy(&bytes)
                );
                if !bytes.is_empty() {
                    prop_assert_eq!(
                        response.headers().get("content-type").map(|v| v.as_bytes()),
                        Some(&b"application/json"[..])
                    );
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
                }
                for call in store.take_calls() {
                    prop_assert!(is_allowed_call(&call), "store asked {call:?} for {path}");
                }
                Ok(())
            },
        )
        .unwrap();
    println!(
        "hostile input: {cases} cases generated, {} valid HTTP requests sent to the service",
        built.get()
    );
    assert!(
        built.get() as f64 > cases as f64 * 0.5,
        "too few cases were valid requests: {}",
        built.get()
    );
}
