//! SPEC §10: slots of a cron expression in a time zone, and their ids.

use backup_actuator_core::OutputZone;
use backup_actuator_schedule::{CronSchedule, ScheduleError, Slot};
use jiff::Timestamp;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn zone(name: &str) -> OutputZone {
    OutputZone::parse(name).unwrap()
}

/// The ids of the `n` slots after `from`.
fn ids(schedule: &CronSchedule, from: &str, n: usize) -> Vec<u64> {
    let mut after = at(from);
    (0..n)
        .map(|_| {
            let slot = schedule.next_after(after).unwrap();
            after = slot.start();
            slot.id().get()
        })
        .collect()
}

#[test]
fn slot_id_is_the_slot_start_as_yyyymmddhhmmss_in_utc() {
    let every_minute = CronSchedule::parse("* * * * *", &OutputZone::utc()).unwrap();
    assert_eq!(
        ids(&every_minute, "2026-12-31T23:58:30Z", 3),
        [20261231235900, 20270101000000, 20270101000100]
    );
    // 09:00 in Kolkata (+05:30) is 03:30 UTC: the id is in UTC, not local.
    let kolkata = CronSchedule::parse("0 9 * * *", &zone("Asia/Kolkata")).unwrap();
    assert_eq!(ids(&kolkata, "2026-06-01T00:00:00Z", 1), [20260601033000]);
    // A fixed offset works as a zone too.
    let fixed = CronSchedule::parse("0 9 * * *", &zone("-05:00")).unwrap();
    assert_eq!(ids(&fixed, "2026-06-01T00:00:00Z", 1), [20260601140000]);
}

#[test]
fn the_next_slot_is_strictly_after_the_instant() {
    let hourly = CronSchedule::parse("0 * * * *", &OutputZone::utc()).unwrap();
    let slot = hourly.next_after(at("2026-05-01T10:00:00Z")).unwrap();
    assert_eq!(slot.id().get(), 20260501110000);
    assert_eq!(
        hourly
            .latest_at_or_before(at("2026-05-01T10:00:00Z"))
            .unwrap()
            .id()
            .get(),
        20260501100000
    );
    assert_eq!(
        hourly
            .latest_at_or_before(at("2026-05-01T10:59:59Z"))
            .unwrap()
            .id()
            .get(),
        20260501100000
    );
}

#[test]
fn slot_ids_read_back_and_other_ids_are_not_slots() {
    let slot = Slot::at(at("2026-02-28T23:59:59.999Z"));
    assert_eq!(slot.id().get(), 20260228235959);
    assert_eq!(Slot::from_id(slot.id()), Some(slot));
    for id in [
        7u64,
        123456,
        20261301000000,
        20260230000000,
        20260101246000,
        99999999999999,
    ] {
        let id = backup_actuator_core::BackupId::new(id).unwrap();
        assert_eq!(Slot::from_id(id), None, "{id}");
    }
}

#[test]
fn a_time_zone_follows_its_daylight_saving_time() {
    // 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer.
    let new_york = CronSchedule::parse("0 9 * * *", &zone("America/New_York")).unwrap();
    assert_eq!(ids(&new_york, "2026-01-15T00:00:00Z", 1), [20260115140000]);
    assert_eq!(ids(&new_york, "2026-07-15T00:00:00Z", 1), [20260715130000]);
    // Across the change on 2026-03-08: 14:00 UTC on the 7th, 13:00 UTC on the 8th.
    assert_eq!(
        ids(&new_york, "2026-03-07T00:00:00Z", 2),
        [20260307140000, 20260308130000]
    );
}

#[test]
fn a_fixed_time_in_the_spring_gap_runs_once_right_after_it() {
    // Berlin skips 02:00–03:00 on 2026-03-29: 02:30 does not exist that day.
    let berlin = CronSchedule::parse("30 2 * * *", &zone("Europe/Berlin")).unwrap();
    assert_eq!(
        ids(&berlin, "2026-03-28T12:00:00Z", 2),
        // 03:00 CEST = 01:00 UTC, then 02:30 CEST = 00:30 UTC the day after.
        [20260329010000, 20260330003000]
    );
}

#[test]
fn a_fixed_time_in_the_autumn_overlap_runs_once() {
    // Berlin runs 02:00–03:00 twice on 2026-10-25.
    let berlin = CronSchedule::parse("30 2 * * *", &zone("Europe/Berlin")).unwrap();
    assert_eq!(
        ids(&berlin, "2026-10-24T12:00:00Z", 2),
        // 02:30 CEST = 00:30 UTC, then 02:30 CET = 01:30 UTC a day later.
        [20261025003000, 20261026013000]
    );
}

#[test]
fn wildcard_times_skip_the_spring_gap_and_run_in_both_autumn_passes() {
    let berlin = CronSchedule::parse("*/30 * * * *", &zone("Europe/Berlin")).unwrap();
    // 01:30 CET, then 03:00 CEST (02:00 and 02:30 never happen).
    assert_eq!(
        ids(&berlin, "2026-03-29T00:15:00Z", 3),
        [20260329003000, 20260329010000, 20260329013000]
    );
    // 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET: every id distinct, in order.
    assert_eq!(
        ids(&berlin, "2026-10-25T00:15:00Z", 4),
        [
            20261025003000,
            20261025010000,
            20261025013000,
            20261025020000
        ]
    );
}

#[test]
fn bad_cron_expressions_are_refused_with_the_reason() {
    for bad in [
        "",
        "61 * * * *",
        "* * * *",
        "* * * * * * * *",
        "every day",
        "*/0 * * * *",
    ] {
        let err = CronSchedule::parse(bad, &OutputZone::utc()).unwrap_err();
        assert!(
            matches!(err, ScheduleError::InvalidCron { .. }),
            "{bad:?}: {err:?}"
        );
        assert!(
            err.to_string().starts_with("invalid cron expression"),
            "{err}"
        );
    }
    let never = CronSchedule::parse("0 0 30 2 *", &OutputZone::utc()).unwrap_err();
    assert!(never.to_string().contains("never matches"), "{never}");
}

#[test]
fn a_seconds_field_is_for_tests_only() {
    assert!(CronSchedule::parse("*/5 * * * * *", &OutputZone::utc()).is_err());
    let fast = CronSchedule::parse_with_seconds("*/5 * * * * *", &OutputZone::utc()).unwrap();
    assert_eq!(
        ids(&fast, "2026-01-01T00:00:01Z", 2),
        [20260101000005, 20260101000010]
    );
}

#[test]
fn nicknames_are_understood() {
    let daily = CronSchedule::parse("@daily", &OutputZone::utc()).unwrap();
    assert_eq!(ids(&daily, "2026-01-01T10:00:00Z", 1), [20260102000000]);
}
