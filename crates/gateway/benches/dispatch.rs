//! Event serialization on the gateway's hot path: the body serialized once per event
//! (`Frame::json`), the per-session envelope around it (`write_dispatch`), and the per-session
//! transport compression (zlib-stream, zstd-stream), for MESSAGE_CREATE and GUILD_CREATE.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use guildhall_gateway::compress::{Compressor, Transport};
use guildhall_gateway::outbox::Frame;
use guildhall_gateway::protocol::write_dispatch;
use serde_json::{Value, json};

fn user(id: u64) -> Value {
    json!({"id": id.to_string(), "username": format!("user{id}"), "global_name": null, "avatar": null,
           "discriminator": "0", "public_flags": 0, "bot": false})
}

fn message_create() -> Value {
    json!({
        "id": "1300000000000000001", "channel_id": "1200000000000000001", "guild_id": "1100000000000000001",
        "author": user(1_000_000_000_000_000_001), "content": "lg:17; fan-out message of a typical length",
        "timestamp": "2026-11-22T04:00:00.000000+00:00", "edited_timestamp": null, "tts": false,
        "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
        "pinned": false, "type": 0, "flags": 0, "components": [], "nonce": null,
        "member": {"roles": [], "nick": null, "joined_at": "2026-11-01T00:00:00.000000+00:00",
                   "deaf": false, "mute": false, "flags": 0, "pending": false},
    })
}

fn guild_create() -> Value {
    let roles: Vec<Value> = (0..20)
        .map(|i| {
            json!({"id": (1_100_000_000_000_000_001_u64 + i).to_string(), "name": format!("role {i}"),
                        "permissions": "1071698660929", "position": i, "color": 0, "hoist": false,
                        "managed": false, "mentionable": false, "flags": 0})
        })
        .collect();
    let channels: Vec<Value> = (0..40)
        .map(|i| {
            json!({"id": (1_200_000_000_000_000_001_u64 + i).to_string(), "type": 0,
                        "name": format!("channel-{i}"), "position": i, "parent_id": null, "topic": null,
                        "nsfw": false, "rate_limit_per_user": 0, "permission_overwrites": [
                            {"id": "1100000000000000001", "type": 0, "allow": "0", "deny": "1024"}]})
        })
        .collect();
    json!({"id": "1100000000000000001", "name": "loadgen", "owner_id": "1000000000000000001",
           "roles": roles, "channels": channels, "threads": [], "members": [{"user": user(7), "roles": []}],
           "member_count": 10000, "large": true, "unavailable": false, "voice_states": [], "presences": [],
           "joined_at": "2026-11-01T00:00:00.000000+00:00", "emojis": [], "stickers": [], "features": []})
}

fn bench_event(c: &mut Criterion, name: &'static str, value: &Value) {
    let frame = Frame::json(name, value);
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(frame.data.len() as u64));
    // Once per event, shared by every session.
    group.bench_function("serialize_body", |b| b.iter(|| Frame::json(name, std::hint::black_box(value))));
    // Once per session: the envelope with its sequence number.
    group.bench_function("envelope", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            write_dispatch(&mut out, 12_345, frame.name, &frame.data);
            std::hint::black_box(out.len())
        })
    });
    // Once per session with compression: envelope + that session's stream compressor.
    for (label, transport) in [("envelope+zlib_stream", Transport::Zlib), ("envelope+zstd_stream", Transport::Zstd)] {
        // One long-lived stream per session, as on a connection: later frames compress against
        // the earlier ones.
        let mut compressor = Compressor::new(transport).unwrap();
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut out = Vec::new();
                write_dispatch(&mut out, 12_345, frame.name, &frame.data);
                compressor.compress(out).unwrap().len()
            })
        });
    }
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    bench_event(c, "MESSAGE_CREATE", &message_create());
    bench_event(c, "GUILD_CREATE", &guild_create());
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
