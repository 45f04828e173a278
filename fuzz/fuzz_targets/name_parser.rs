//! `cargo +nightly fuzz run name_parser`: see [`backup_actuator_fuzz::name_parser`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_actuator_fuzz::name_parser(data));
