//! `Authorization` headers and gateway IDENTIFY tokens: scheme stripping and reading the user id
//! a token claims must never panic, and a claimed id is a valid, non-zero snowflake.
#![no_main]

use guildhall_core::token::{TokenHash, claimed_user, strip_scheme};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else { return };
    let token = strip_scheme(header);
    if let Some(user) = claimed_user(token) {
        assert_ne!(user.get(), 0);
    }
    // Hashing is total and deterministic.
    assert!(TokenHash::of(token).matches(&TokenHash::of(token)));
});
