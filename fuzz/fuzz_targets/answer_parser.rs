//! `cargo +nightly fuzz run answer_parser`: see [`backup_actuator_fuzz::answer_parser`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_actuator_fuzz::answer_parser(data));
