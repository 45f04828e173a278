//! `cargo +nightly fuzz run body_parser`: see [`backup_actuator_fuzz::body_parser`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_actuator_fuzz::body_parser(data));
