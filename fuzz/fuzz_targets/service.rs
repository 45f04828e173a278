//! `cargo +nightly fuzz run service`: see [`backup_actuator_fuzz::service`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backup_actuator_fuzz::service(data));
