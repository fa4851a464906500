//! The voice hot path per packet: AEAD seal and open in both rtpsize modes at a typical Opus
//! frame (20 ms at ~64 kbit/s ≈ 160 bytes), and the SFU's forward of one packet (open once,
//! seal per receiver, RTP prefix kept) to 1, 10 and 1000 receivers, reported per forwarded copy.
//! Each forward iteration also seals the incoming packet as its client would (fresh counters
//! keep the replay window from dropping it): subtract one `aead/seal` per packet, which matters
//! only at 1 receiver.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use guildhall_voice_proto::crypto::{Cipher, Mode};
use guildhall_voice_proto::discovery;
use guildhall_voice_proto::sfu::{Batch, Sfu};

const OPUS: usize = 160;
const HEADER: [u8; 12] = [0x80, 0x78, 0, 1, 0, 0, 3, 0xc0, 0, 0, 0, 1];

fn modes() -> [(&'static str, Mode); 2] {
    [("aes256_gcm_rtpsize", Mode::Aes256GcmRtpsize), ("xchacha20_rtpsize", Mode::XChaCha20Poly1305Rtpsize)]
}

fn aead(c: &mut Criterion) {
    let mut group = c.benchmark_group("aead");
    group.throughput(Throughput::Bytes(OPUS as u64));
    let plaintext = [0x5a_u8; OPUS];
    for (name, mode) in modes() {
        let cipher = Cipher::new(mode, &[7; 32]);
        let mut out = Vec::with_capacity(256);
        let mut counter = 0u32;
        group.bench_function(BenchmarkId::new("seal", name), |b| {
            b.iter(|| {
                out.clear();
                counter = counter.wrapping_add(1);
                cipher.seal(black_box(&HEADER), black_box(&plaintext), counter, &mut out).ok();
                black_box(&out);
            });
        });
        let mut packet = Vec::new();
        cipher.seal(&HEADER, &plaintext, 1, &mut packet).ok();
        let mut opened = Vec::with_capacity(256);
        group.bench_function(BenchmarkId::new("open", name), |b| {
            b.iter(|| {
                opened.clear();
                black_box(cipher.open(black_box(&packet), HEADER.len(), &mut opened)).ok();
            });
        });
    }
    group.finish();
}

/// One room with a sender (SSRC 1) and `receivers` others, every key in `mode`, every address
/// learnt through discovery.
fn room(mode: Mode, receivers: u32) -> (Sfu, SocketAddr) {
    let now = Instant::now();
    let mut sfu = Sfu::new();
    let mut batch = Batch::new();
    for ssrc in 1..=receivers + 1 {
        sfu.add(ssrc, 1, u64::from(ssrc));
        sfu.set_cipher(ssrc, Cipher::new(mode, &[ssrc as u8; 32]));
        let addr = SocketAddr::from(([10, 0, (ssrc >> 8) as u8, ssrc as u8], 5000));
        sfu.handle_batch(now, addr, &discovery::request(ssrc), &mut batch);
    }
    (sfu, SocketAddr::from(([10, 0, 0, 1], 5000)))
}

fn forward(c: &mut Criterion) {
    let mut group = c.benchmark_group("sfu_forward");
    for (name, mode) in modes() {
        let sender = Cipher::new(mode, &[1; 32]);
        for receivers in [1u32, 10, 1000] {
            let (mut sfu, from) = room(mode, receivers);
            let mut batch = Batch::new();
            let mut counter = 0u32;
            let mut packet = Vec::with_capacity(256);
            // Per forwarded copy: the one open is spread over the receivers, as in a room.
            group.throughput(Throughput::Elements(u64::from(receivers)));
            group.bench_function(BenchmarkId::new(name, receivers), |b| {
                b.iter(|| {
                    counter = counter.wrapping_add(1);
                    let mut header = HEADER;
                    header[2..4].copy_from_slice(&(counter as u16).to_be_bytes());
                    packet.clear();
                    sender.seal(&header, &[0x5a; OPUS], counter, &mut packet).ok();
                    batch.clear();
                    sfu.handle_batch(Instant::now(), from, black_box(&packet), &mut batch);
                    black_box(batch.len());
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, aead, forward);
criterion_main!(benches);
