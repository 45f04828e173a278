//! SPEC §6: exactly which store calls each operation makes.

mod common;

use std::time::Duration;

use backup_actuator_core::Product;
use backup_actuator_store::{Operation, PartOutcome, SnapshotStore, StoreError};
use common::*;

const PART_1: &str = "camunda_optimize_5_8.6.0_part_1_of_2";
const PART_2: &str = "camunda_optimize_5_8.6.0_part_2_of_2";
const FOREIGN: &str = "camunda_optimize_5_before_upgrade";
const CLAIM: &str = "camunda_optimize_5_claim";

fn recording() -> (backup_actuator_service::BackupService, RecordingStore) {
    let (memory, _) = memory();
    let store = RecordingStore::new(memory);
    (builder(store.clone()).build(), store)
}

#[tokio::test]
async fn get_one_makes_one_find_of_the_id_pattern() {
    let (service, store) = recording();
    get(&service, "/actuator/backups/5").await;
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_5_*".into())]
    );
}

#[tokio::test]
async fn list_makes_one_find_of_the_prefix_pattern() {
    let (service, store) = recording();
    get(&service, "/actuator/backups").await;
    get(&service, "/actuator/backup").await;
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_*".into()),
            Call::Find("camunda_optimize_*".into())
        ]
    );
}

#[tokio::test]
async fn post_finds_claims_finds_again_creates_every_part_in_order_then_releases_the_claim() {
    let (service, store) = recording();
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 202);
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(CLAIM.into()),
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(PART_1.into()),
            Call::Create(PART_2.into()),
            Call::Delete(vec![CLAIM.into()]),
        ]
    );
    assert_eq!(store.inner().snapshot_names(REPO), [PART_1, PART_2]);
}

#[tokio::test]
async fn post_whose_claim_is_refused_is_409_and_creates_no_part() {
    let (service, store) = recording();
    store.inner().set_outcome(
        CLAIM,
        PartOutcome::Refuse(StoreError::NameInUse { name: CLAIM.into() }),
    );
    post(&service, r#"{"backupId": 5}"#).await.assert_error(
        409,
        "conflict",
        &format!("A backup with ID [5] already exists. Found snapshots: [{CLAIM}]"),
    );
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(CLAIM.into()),
        ]
    );
}

#[tokio::test]
async fn post_that_finds_parts_after_its_claim_is_409_and_releases_the_claim() {
    // Another version's POST created its parts between this POST's first
    // look and its claim.
    let (memory, _) = memory();
    let store = RecordingStore::new(memory);
    store.parts_appear_after_claim("camunda_optimize_5_8.7.0_part_1_of_2");
    let service = builder(store.clone()).build();
    post(&service, r#"{"backupId": 5}"#).await.assert_error(
        409,
        "conflict",
        "A backup with ID [5] already exists. Found snapshots: [camunda_optimize_5_8.7.0_part_1_of_2]",
    );
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(CLAIM.into()),
            Call::Find("camunda_optimize_5_*".into()),
            Call::Delete(vec![CLAIM.into()]),
        ]
    );
    assert_eq!(
        store.inner().snapshot_names(REPO),
        ["camunda_optimize_5_8.7.0_part_1_of_2"]
    );
}

#[tokio::test]
async fn post_that_finds_a_fresh_claim_is_409_and_a_stale_one_is_removed() {
    let store = RecordingStore::new(backup_actuator_store::MemoryStore::new());
    let service = builder(store.clone())
        .claim_expiry(Duration::from_secs(3600))
        .build();
    put_snapshot(store.inner(), CLAIM).await;
    store.take_calls();
    post(&service, r#"{"backupId": 5}"#).await.assert_error(
        409,
        "conflict",
        &format!("A backup with ID [5] already exists. Found snapshots: [{CLAIM}]"),
    );
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_5_*".into())]
    );

    // A process that has seen the same claim standing for longer than the
    // expiry takes it as left by a crash. The first look starts the clock.
    let service = builder(store.clone()).claim_expiry(Duration::ZERO).build();
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 409);
    tokio::time::sleep(Duration::from_millis(5)).await;
    store.take_calls();
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 202);
    assert_eq!(
        store.take_calls()[..3],
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Delete(vec![CLAIM.into()]),
            Call::Create(CLAIM.into()),
        ]
    );
    assert_eq!(store.inner().snapshot_names(REPO), [PART_1, PART_2]);
}

/// SPEC §6: the expiry runs "from the first sighting" of a claim with that
/// start time. A claim deleted and created again (another POST) is a new
/// claim: its clock starts again, so it is not taken for the old, stale
/// one. With a zero expiry, any second sighting of the same claim is stale,
/// so only a restarted clock explains a 409 here.
#[tokio::test]
async fn the_stale_claim_clock_starts_again_when_the_claim_is_created_again() {
    let (memory, clock) = memory();
    let store = RecordingStore::new(memory);
    let service = builder(store.clone()).claim_expiry(Duration::ZERO).build();
    put_snapshot(store.inner(), CLAIM).await;
    // First sighting: the clock starts, the claim is fresh.
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 409);

    // Another POST's claim: the old one released, a new one made later.
    store
        .inner()
        .delete_snapshots(REPO, &[CLAIM.to_owned()])
        .await
        .unwrap();
    clock.advance(Duration::from_secs(1));
    put_snapshot(store.inner(), CLAIM).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    store.take_calls();
    post(&service, r#"{"backupId": 5}"#).await.assert_error(
        409,
        "conflict",
        &format!("A backup with ID [5] already exists. Found snapshots: [{CLAIM}]"),
    );
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_5_*".into())],
        "the new claim is not deleted"
    );

    // Seen again unchanged, it is past the (zero) expiry: removed.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 202);
    assert_eq!(store.take_calls()[1], Call::Delete(vec![CLAIM.into()]));
}

/// SPEC §6: only "a claim with no part beside it" expires. Beside parts,
/// however long it has stood, POST is 409 naming the parts and the claim
/// is left to DELETE, which removes it with them.
#[tokio::test]
async fn a_stale_claim_beside_parts_is_not_removed_by_post() {
    let (memory, _) = memory();
    let store = RecordingStore::new(memory);
    let service = builder(store.clone()).claim_expiry(Duration::ZERO).build();
    for name in [CLAIM, PART_1, PART_2] {
        put_snapshot(store.inner(), name).await;
    }
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
        post(&service, r#"{"backupId": 5}"#).await.assert_error(
            409,
            "conflict",
            &format!("A backup with ID [5] already exists. Found snapshots: [{PART_1}, {PART_2}]"),
        );
    }
    assert!(
        !store
            .take_calls()
            .iter()
            .any(|call| matches!(call, Call::Delete(_) | Call::Create(_))),
        "POST neither deletes nor creates"
    );
    assert_eq!(store.inner().snapshot_names(REPO), [PART_1, PART_2, CLAIM]);
}

/// SPEC §6 DELETE: "exactly the names that parse as parts of this backup,
/// plus its claim if one stands beside them", in one request.
#[tokio::test]
async fn delete_removes_the_claim_beside_the_parts_in_the_same_request() {
    let (service, store) = recording();
    for name in [CLAIM, PART_1, PART_2, FOREIGN] {
        put_snapshot(store.inner(), name).await;
    }
    store.take_calls();
    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    let calls = store.take_calls();
    assert_eq!(calls[0], Call::Find("camunda_optimize_5_*".into()));
    let Call::Delete(names) = &calls[1] else {
        panic!("{calls:?}");
    };
    let mut names = names.clone();
    names.sort();
    assert_eq!(names, [PART_1, PART_2, CLAIM]);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert_eq!(store.inner().snapshot_names(REPO), [FOREIGN]);
}

#[tokio::test]
async fn a_claim_is_evidence_get_and_list_show_its_backup_and_delete_removes_it() {
    // SPEC §4/§6: a claim is not a part (never a detail), but GET never
    // answers 404 while anything of the id stands, and DELETE removes it.
    let (service, store) = recording();
    put_snapshot(store.inner(), CLAIM).await;
    let one = get(&service, "/actuator/backups/5").await;
    assert_eq!(one.status, 200, "{}", one.body);
    // The memory store's clock says 2022: the claim is far older than the
    // claim expiry, so no trigger can still run (a young claim reads
    // IN_PROGRESS: the engine's own tests).
    assert_eq!(
        one.body,
        r#"{"backupId":5,"failureReason":"Missing parts: [1, 2]. The trigger that claimed this backup (camunda_optimize_5_claim) is over, and they are not in the repository","state":"INCOMPLETE","details":[]}"#
    );
    let list = get(&service, "/actuator/backups").await;
    assert_eq!(list.body, format!("[{}]", one.body));
    store.take_calls();
    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Delete(vec![CLAIM.into()]),
        ]
    );
    assert!(store.inner().snapshot_names(REPO).is_empty());
    assert_eq!(get(&service, "/actuator/backups/5").await.status, 404);
}

#[tokio::test]
async fn post_of_existing_id_makes_no_create() {
    let (service, store) = recording();
    put_snapshot(store.inner(), PART_2).await;
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 409);
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_5_*".into())]
    );
}

#[tokio::test]
async fn invalid_requests_make_no_store_call() {
    let (service, store) = recording();
    post(&service, r#"{"backupId": "1,*"}"#).await;
    get(&service, "/actuator/backups/1,*").await;
    delete(&service, "/actuator/backups/*").await;
    send(&service, "PUT", "/actuator/backups/1", "").await;
    get(&service, "/actuator/backups/1/extra").await;
    assert_eq!(store.take_calls(), []);
}

#[tokio::test]
async fn refused_part_rolls_back_the_parts_this_request_created() {
    let (memory, _) = memory();
    let store = RecordingStore::new(memory);
    let service = builder(store.clone())
        .unknown_outcome_watch(Duration::from_millis(300))
        .build();
    store.inner().set_outcome(
        PART_2,
        PartOutcome::Refuse(StoreError::Unreachable {
            product: Product::OpenSearch,
            operation: Operation::CreateSnapshot {
                name: PART_2.into(),
            },
            cause: "connection reset".into(),
        }),
    );
    let answer = post(&service, r#"{"backupId": 5}"#).await;
    answer.assert_error(
        502,
        "openSearchConnectionError",
        &format!("Encountered an error connecting to OpenSearch while creating snapshot [{PART_2}]: connection reset. The part may still appear in the cluster; it will be removed"),
    );
    // The outcome of part 2 is unknown after a broken connection: a watch
    // in the background looks for it (it never appears here), then
    // releases the claim.
    wait_until(|| {
        !store
            .inner()
            .snapshot_names(REPO)
            .contains(&CLAIM.to_owned())
    })
    .await;
    let calls = store.take_calls();
    assert_eq!(
        calls[..6],
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(CLAIM.into()),
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(PART_1.into()),
            Call::Create(PART_2.into()),
            Call::Delete(vec![PART_1.into()]),
        ]
    );
    assert!(calls[6..].contains(&Call::Find("camunda_optimize_5_*".into())));
    assert_eq!(calls.last(), Some(&Call::Delete(vec![CLAIM.into()])));
    assert!(store.inner().snapshot_names(REPO).is_empty());
}

#[tokio::test]
async fn refused_first_part_deletes_nothing() {
    let (service, store) = recording();
    store.inner().set_outcome(
        PART_1,
        PartOutcome::Refuse(StoreError::NameInUse {
            name: PART_1.into(),
        }),
    );
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 409);
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(CLAIM.into()),
            Call::Find("camunda_optimize_5_*".into()),
            Call::Create(PART_1.into()),
            Call::Delete(vec![CLAIM.into()]),
        ]
    );
}

#[tokio::test]
async fn failed_rollback_still_returns_the_original_error() {
    let (service, store) = recording();
    store.inner().set_outcome(
        PART_2,
        PartOutcome::Refuse(StoreError::NameInUse {
            name: PART_2.into(),
        }),
    );
    store.fail_deletes(1);
    post(&service, r#"{"backupId": 5}"#).await.assert_error(
        409,
        "conflict",
        &format!("A backup with ID [5] already exists. Found snapshots: [{PART_2}]"),
    );
    // The rollback failed (logged); part 1 is left for the operator.
    assert_eq!(store.inner().snapshot_names(REPO), [PART_1]);
}

#[tokio::test]
async fn delete_makes_one_find_and_one_delete_of_exactly_the_parts() {
    let (service, store) = recording();
    assert_eq!(post(&service, r#"{"backupId": 5}"#).await.status, 202);
    assert_eq!(post(&service, r#"{"backupId": 50}"#).await.status, 202);
    // Added after the trigger: an older plan's part, and a hand-made snapshot.
    put_snapshot(store.inner(), FOREIGN).await;
    put_snapshot(store.inner(), "camunda_optimize_5_3.10.0_part_1_of_1").await;
    store.take_calls();

    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    assert_eq!(
        store.take_calls(),
        [
            Call::Find("camunda_optimize_5_*".into()),
            Call::Delete(vec![
                "camunda_optimize_5_3.10.0_part_1_of_1".into(),
                PART_1.into(),
                PART_2.into(),
            ]),
        ]
    );
    // The hand-made snapshot that matches the wildcard survives, and so does 50.
    assert_eq!(
        store.inner().snapshot_names(REPO),
        [
            "camunda_optimize_50_8.6.0_part_1_of_2",
            "camunda_optimize_50_8.6.0_part_2_of_2",
            FOREIGN,
        ]
    );
}

#[tokio::test]
async fn delete_with_only_foreign_names_sends_no_delete_and_is_204() {
    let (service, store) = recording();
    put_snapshot(store.inner(), FOREIGN).await;
    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    assert_eq!(
        store.take_calls(),
        [Call::Find("camunda_optimize_5_*".into())]
    );
    assert_eq!(store.inner().snapshot_names(REPO), [FOREIGN]);
}

#[tokio::test]
async fn delete_retries_after_snapshot_missing_and_succeeds() {
    let (service, store) = recording();
    post(&service, r#"{"backupId": 5}"#).await;
    store.take_calls();
    store.fail_deletes(2);
    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    let both = vec![PART_1.to_owned(), PART_2.to_owned()];
    let find = Call::Find("camunda_optimize_5_*".into());
    assert_eq!(
        store.take_calls(),
        [
            find.clone(),
            Call::Delete(both.clone()),
            find.clone(),
            Call::Delete(both.clone()),
            find,
            Call::Delete(both),
        ]
    );
    assert!(store.inner().snapshot_names(REPO).is_empty());
}

#[tokio::test]
async fn delete_gives_up_after_three_retries_with_500() {
    let (service, store) = recording();
    post(&service, r#"{"backupId": 5}"#).await;
    store.take_calls();
    store.fail_deletes(4);
    delete(&service, "/actuator/backups/5").await.assert_error(
        500,
        "serverError",
        &format!("snapshot [{PART_1}] is missing"),
    );
    let calls = store.take_calls();
    assert_eq!(
        calls.iter().filter(|c| matches!(c, Call::Find(_))).count(),
        4
    );
    assert_eq!(
        calls
            .iter()
            .filter(|c| matches!(c, Call::Delete(_)))
            .count(),
        4
    );
}

#[tokio::test]
async fn delete_of_running_backup_removes_it() {
    let (memory, clock) = memory();
    let store = RecordingStore::new(memory);
    let service = builder(store.clone()).build();
    post(&service, r#"{"backupId": 5}"#).await;
    clock.advance(Duration::from_millis(500));
    assert_eq!(delete(&service, "/actuator/backups/5").await.status, 204);
    assert_eq!(get(&service, "/actuator/backups/5").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_triggers_of_one_id_get_exactly_one_202() {
    let (service, store) = recording();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let service = service.clone();
        tasks.push(tokio::spawn(async move {
            post(&service, r#"{"backupId": 5}"#).await.status.as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [202, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(store.inner().snapshot_names(REPO), [PART_1, PART_2]);
    let creates = store
        .take_calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Create(_)))
        .count();
    // The claim and the two parts of the one that won.
    assert_eq!(creates, 3);
}

/// Waits (real time, at most 10 s) until `done` holds.
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the condition did not hold within 10 s");
}

mod injection {
    //! SPEC §2: the id is the only user input that reaches a snapshot name,
    //! so nothing but a valid id ever reaches the store.
    use super::*;
    use proptest::prelude::*;

    /// SPEC §2, written again without the production parser: a non-empty
    /// run of ASCII digits whose value, leading zeros aside, is at most
    /// 9223372036854775807 (compared as text).
    fn spec_digits(digits: &str) -> Option<u64> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let significant = digits.trim_start_matches('0');
        let significant = if significant.is_empty() {
            "0"
        } else {
            significant
        };
        const MAX: &str = "9223372036854775807";
        let in_range =
            significant.len() < MAX.len() || (significant.len() == MAX.len() && significant <= MAX);
        in_range.then(|| significant.parse().unwrap())
    }

    /// SPEC §2 for a `backupId` value as written in the JSON body: a JSON
    /// integer (no leading zero; `-0` is 0, any other negative is refused)
    /// or a JSON string of digits.
    fn spec_body_id(value: &str) -> Option<u64> {
        if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            return spec_digits(inner);
        }
        let is_json_integer = |d: &str| {
            !d.is_empty()
                && d.bytes().all(|b| b.is_ascii_digit())
                && (d == "0" || !d.starts_with('0'))
        };
        match value.strip_prefix('-') {
            Some("0") => Some(0),
            Some(_) => None,
            None if is_json_integer(value) => spec_digits(value),
            None => None,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        // POST waits for its claim's release with a timeout.
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    /// The oracle itself, on SPEC §2's edge values.
    #[test]
    fn the_oracle_reads_spec_2s_edge_values() {
        assert_eq!(spec_digits("007"), Some(7));
        assert_eq!(spec_digits("0"), Some(0));
        assert_eq!(
            spec_digits("9223372036854775807"),
            Some(9_223_372_036_854_775_807)
        );
        assert_eq!(
            spec_digits("09223372036854775807"),
            Some(9_223_372_036_854_775_807)
        );
        assert_eq!(spec_digits("9223372036854775808"), None);
        assert_eq!(spec_digits("1,*"), None);
        assert_eq!(spec_digits(""), None);
        assert_eq!(spec_body_id("-0"), Some(0));
        assert_eq!(spec_body_id("-1"), None);
        assert_eq!(spec_body_id("007"), None, "not JSON");
        assert_eq!(spec_body_id("\"007\""), Some(7));
        assert_eq!(spec_body_id("\"-1\""), None);
        assert_eq!(spec_body_id("1.0"), None);
    }

    proptest! {
        #[test]
        fn any_path_segment_reaches_the_store_only_as_a_valid_id(
            segment in prop_oneof![
                "[0-9]{1,20}",
                "[0-9]{0,4}[A-Za-z._~!$&'()*+,;=:@%-][0-9]{0,4}",
                "[A-Za-z0-9._~!$&'()*+,;=:@%-]{1,24}",
            ],
            delete_it in any::<bool>(),
        ) {
            let uri = format!("/actuator/backups/{segment}");
            prop_assume!(uri.parse::<http::Uri>().is_ok());
            let (service, store) = recording();
            let method = if delete_it { "DELETE" } else { "GET" };
            let answer = runtime().block_on(send(&service, method, &uri, ""));
            let calls = store.take_calls();
            match spec_digits(&segment) {
                Some(id) => {
                    prop_assert!(answer.status == 404 || answer.status == 204, "{:?}", answer);
                    prop_assert_eq!(calls, vec![Call::Find(format!("camunda_optimize_{id}_*"))]);
                }
                None => {
                    prop_assert_eq!(answer.status.as_u16(), 400);
                    prop_assert!(calls.is_empty());
                }
            }
        }

        #[test]
        fn any_backup_id_value_reaches_the_store_only_as_a_valid_id(
            value in prop_oneof![
                "[0-9]{1,20}",
                "-[0-9]{1,5}",
                "\"[0-9a-z,*_-]{0,12}\"",
                "[0-9]{1,3}\\.[0-9]",
                Just("true".to_owned()),
                Just("[1]".to_owned()),
            ],
        ) {
            let (service, store) = recording();
            let answer = runtime().block_on(post(&service, &format!(r#"{{"backupId": {value}}}"#)));
            let calls = store.take_calls();
            match spec_body_id(&value) {
                Some(id) => {
                    prop_assert_eq!(answer.status.as_u16(), 202, "{:?}", answer);
                    prop_assert_eq!(&calls[0], &Call::Find(format!("camunda_optimize_{id}_*")));
                    prop_assert_eq!(calls.len(), 6);
                }
                None => {
                    prop_assert_eq!(answer.status.as_u16(), 400, "{:?}", answer);
                    prop_assert!(calls.is_empty());
                }
            }
        }
    }
}
