//! Client JSON into every model type a client can send or echo back. Parsing must never panic,
//! and whatever parses must re-emit to JSON that parses to the same value (a stable round trip:
//! nothing the server stores and re-serves can change meaning on the way).
#![no_main]

use guildhall_model::channel::{Channel, PermissionOverwrite};
use guildhall_model::gateway::{Hello, Ready, VoiceServerUpdate};
use guildhall_model::guild::{Ban, Emoji, Guild, GuildCreate, Member, Role};
use guildhall_model::invite::Invite;
use guildhall_model::message::{AllowedMentions, Embed, Message, MessageReference, Nonce};
use guildhall_model::user::{Application, User};
use guildhall_model::voice::VoiceState;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let emitted = serde_json::to_vec(&value).expect("a parsed value serializes");
        let again: T = serde_json::from_slice(&emitted).expect("re-emitted JSON parses");
        assert_eq!(again, value, "round trip changed the value");
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the type so the fuzzer can steer towards each shape.
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 20 {
        0 => round_trip::<Message>(rest),
        1 => round_trip::<Channel>(rest),
        2 => round_trip::<Guild>(rest),
        3 => round_trip::<GuildCreate>(rest),
        4 => round_trip::<Role>(rest),
        5 => round_trip::<Member>(rest),
        6 => round_trip::<PermissionOverwrite>(rest),
        7 => round_trip::<Embed>(rest),
        8 => round_trip::<AllowedMentions>(rest),
        9 => round_trip::<MessageReference>(rest),
        10 => round_trip::<Nonce>(rest),
        11 => round_trip::<Invite>(rest),
        12 => round_trip::<User>(rest),
        13 => round_trip::<Application>(rest),
        14 => round_trip::<VoiceState>(rest),
        15 => round_trip::<Ban>(rest),
        16 => round_trip::<Emoji>(rest),
        17 => round_trip::<Ready>(rest),
        18 => round_trip::<Hello>(rest),
        _ => round_trip::<VoiceServerUpdate>(rest),
    }
});
