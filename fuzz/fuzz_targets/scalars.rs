//! Snowflakes, timestamps and permission strings as clients send them (path segments, query
//! strings, JSON strings). No panics; a value that parses prints back to a string that parses
//! to the same value.
#![no_main]

use guildhall_model::id::marker::GenericMarker;
use guildhall_model::{Id, Permissions, Timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(id) = text.parse::<Id<GenericMarker>>() {
        assert_eq!(id.to_string().parse::<Id<GenericMarker>>(), Ok(id));
        let _ = id.timestamp_ms();
    }
    if let Ok(t) = Timestamp::parse(text) {
        let shown = t.to_string();
        assert_eq!(Timestamp::parse(&shown), Ok(t), "{shown}");
    }
    if let Ok(p) = serde_json::from_str::<Permissions>(text) {
        let json = serde_json::to_string(&p).expect("permissions serialize");
        assert_eq!(serde_json::from_str::<Permissions>(&json).expect("re-parse"), p);
    }
});
