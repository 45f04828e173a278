//! SPEC §2: the backup id, in a path and in a POST body. One test per rule.

use backup_actuator_core::{BackupId, BackupRequest, BackupRequestError};

const RANGE_MESSAGE: &str = "must be an integer between 0 and 9223372036854775807";

fn body(json: &str) -> Result<u64, BackupRequestError> {
    BackupRequest::from_json(json.as_bytes()).map(|r| r.backup_id.get())
}

#[test]
fn id_range_is_zero_to_java_long_max() {
    assert_eq!(BackupId::from_path_segment("0").unwrap().get(), 0);
    assert_eq!(
        BackupId::from_path_segment("9223372036854775807").unwrap(),
        BackupId::MAX
    );
    assert!(BackupId::from_path_segment("9223372036854775808").is_err());
    assert!(BackupId::new(1 << 63).is_none());
}

#[test]
fn path_id_is_ascii_digits_only() {
    for segment in [
        "abc",
        "-1",
        "1.5",
        "12abc",
        "%31",
        "1,2",
        "*",
        "+1",
        "0x10",
        "",
        " 1",
        "1 ",
        "١",
        "99999999999999999999999",
    ] {
        let err = BackupId::from_path_segment(segment).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Invalid backup ID [{segment}]: {RANGE_MESSAGE}"),
            "segment {segment:?}"
        );
    }
}

#[test]
fn path_id_error_names_the_segment_as_sent() {
    let err = BackupId::from_path_segment("%31%2C*").unwrap_err();
    assert_eq!(err.segment(), "%31%2C*");
}

#[test]
fn path_id_with_leading_zeros_is_the_same_number() {
    assert_eq!(BackupId::from_path_segment("007").unwrap().get(), 7);
}

#[test]
fn post_body_integer_is_accepted() {
    assert_eq!(body(r#"{"backupId": 123}"#), Ok(123));
    assert_eq!(body(r#"{"backupId":0}"#), Ok(0));
    assert_eq!(
        body(r#"{"backupId":9223372036854775807}"#),
        Ok(i64::MAX as u64)
    );
}

#[test]
fn post_body_string_of_digits_is_accepted() {
    assert_eq!(body(r#"{"backupId":"20260220181029"}"#), Ok(20260220181029));
}

#[test]
fn post_body_unknown_fields_are_ignored() {
    assert_eq!(
        body(r#"{"note": {"nested": [1, 2]}, "backupId": 5, "x": null}"#),
        Ok(5)
    );
}

#[test]
fn post_body_missing_empty_not_json_or_not_object_is_refused() {
    for json in [
        "",
        "   ",
        "not json",
        "[1]",
        "5",
        "\"x\"",
        "null",
        "{",
        "{\"backupId\":1} trailing",
    ] {
        assert_eq!(
            body(json),
            Err(BackupRequestError::NotAnObject),
            "body {json:?}"
        );
    }
    assert_eq!(
        BackupRequestError::NotAnObject.to_string(),
        r#"Request body must be a JSON object with a numeric "backupId""#
    );
}

#[test]
fn post_body_missing_or_null_backup_id_must_not_be_null() {
    assert_eq!(body("{}"), Err(BackupRequestError::Null));
    assert_eq!(body(r#"{"backupId": null}"#), Err(BackupRequestError::Null));
    assert_eq!(body(r#"{"backupid": 1}"#), Err(BackupRequestError::Null));
    assert_eq!(
        BackupRequestError::Null.to_string(),
        "backupId must not be null"
    );
}

#[test]
fn post_body_negative_number_of_any_size_must_be_greater_or_equal_zero() {
    for json in [
        "-1",
        "-9223372036854775809",
        "-1e400",
        "-0.5",
        "-123456789012345678901234567890",
    ] {
        assert_eq!(
            body(&format!(r#"{{"backupId": {json}}}"#)),
            Err(BackupRequestError::Negative),
            "value {json}"
        );
    }
    assert_eq!(
        BackupRequestError::Negative.to_string(),
        "backupId must be greater than or equal to 0"
    );
}

#[test]
fn post_body_anything_else_not_an_integer_in_range_is_refused() {
    for json in [
        "1.5",
        "1.0",
        "1e3",
        "1E3",
        "9223372036854775808",
        "18446744073709551616",
        r#""-1""#,
        r#""abc""#,
        r#""1.0""#,
        r#""""#,
        r#"" 1""#,
        "true",
        "false",
        "[1]",
        r#"{"id": 1}"#,
        "-0.0",
    ] {
        assert_eq!(
            body(&format!(r#"{{"backupId": {json}}}"#)),
            Err(BackupRequestError::NotAnInteger),
            "value {json}"
        );
    }
    assert_eq!(
        BackupRequestError::NotAnInteger.to_string(),
        format!("backupId {RANGE_MESSAGE}")
    );
}

#[test]
fn post_body_repeated_backup_id_takes_the_last() {
    assert_eq!(body(r#"{"backupId": 1, "backupId": 2}"#), Ok(2));
}

#[test]
fn post_body_escaped_key_is_still_backup_id() {
    assert_eq!(body(r#"{"backup\u0049d": 4}"#), Ok(4));
}
