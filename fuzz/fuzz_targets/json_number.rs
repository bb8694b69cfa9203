#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| codis_fuzz::json_number(data));
