//! `cargo +nightly fuzz run id_parser`: see [`backup_actuator_fuzz::id_parser`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_actuator_fuzz::id_parser(data));
