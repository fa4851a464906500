//! The media half of a voice participant, the same code against guildhall (AEAD) and against
//! the bare UDP forwarder (plain): speakers send one RTP packet every 20 ms carrying, inside
//! the (encrypted) payload, the send time and a sequence number, padded to an Opus frame's
//! size; every participant counts what it receives per speaker (loss from the clear RTP
//! header) and the sampled ones open each packet to read the send time (added latency).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use guildhall_voice_proto::crypto::{Cipher, OVERHEAD};
use hdrhistogram::Histogram;
use tokio::net::UdpSocket;

/// The clear RTP header the speakers send: V=2, no CSRC, no extension.
const HEADER_LEN: usize = 12;
/// Opus in RTP (Discord uses payload type 120).
const PAYLOAD_TYPE: u8 = 0x78;
/// 20 ms of 48 kHz audio per packet.
pub(crate) const FRAME: Duration = Duration::from_millis(20);
/// Send time (ns since the run's clock started) and sequence at the start of the payload.
const STAMP_LEN: usize = 12;

/// How a participant's packets are protected.
#[derive(Debug)]
pub(crate) enum Seal {
    /// The baseline: the plaintext travels as is, followed by as many zero bytes as the AEAD
    /// adds, so both targets move the same bytes.
    Plain,
    Aead(Cipher),
}

/// One participant's media side.
#[derive(Debug, Clone)]
pub(crate) struct Endpoint {
    pub(crate) udp: Arc<UdpSocket>,
    pub(crate) ssrc: u32,
    pub(crate) seal: Arc<Seal>,
    /// Where its packets go (READY's ip/port, or the baseline's address).
    pub(crate) media: SocketAddr,
    /// Its channel (index), to know which speakers it should hear.
    pub(crate) channel: usize,
    pub(crate) speaker: bool,
    /// Whether it opens every packet for the send time (latency sample).
    pub(crate) sample_latency: bool,
}

/// What one participant received.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) per_ssrc: HashMap<u32, u64>,
    /// Send → receive, in microseconds.
    pub(crate) latency_us: Histogram<u64>,
    /// Packets that failed to open or carried a bad stamp.
    pub(crate) corrupt: u64,
}

/// Sends `packets` packets, one per [`FRAME`] from `start`; returns how many went out.
pub(crate) async fn speak(
    endpoint: Endpoint,
    clock: Instant,
    start: tokio::time::Instant,
    packets: u32,
    payload_len: usize,
) -> u32 {
    let mut tick = tokio::time::interval_at(start, FRAME);
    // Burst: a late tick is made up, so every speaker sends exactly `packets`.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut plaintext = vec![0x5a_u8; payload_len.max(STAMP_LEN)];
    let mut packet = Vec::with_capacity(HEADER_LEN + plaintext.len() + OVERHEAD);
    let mut sent = 0;
    for i in 0..packets {
        tick.tick().await;
        let mut header = [0u8; HEADER_LEN];
        header[0] = 0x80;
        header[1] = PAYLOAD_TYPE;
        header[2..4].copy_from_slice(&(i as u16).to_be_bytes());
        header[4..8].copy_from_slice(&i.wrapping_mul(960).to_be_bytes());
        header[8..12].copy_from_slice(&endpoint.ssrc.to_be_bytes());
        let now_ns = u64::try_from(clock.elapsed().as_nanos()).unwrap_or(u64::MAX);
        plaintext[..8].copy_from_slice(&now_ns.to_be_bytes());
        plaintext[8..12].copy_from_slice(&i.to_be_bytes());
        packet.clear();
        match endpoint.seal.as_ref() {
            Seal::Plain => {
                packet.extend_from_slice(&header);
                packet.extend_from_slice(&plaintext);
                packet.extend_from_slice(&[0; OVERHEAD]);
            }
            // Counters from 0, as discord.py does.
            Seal::Aead(cipher) => {
                if cipher.seal(&header, &plaintext, i, &mut packet).is_err() {
                    continue;
                }
            }
        }
        if endpoint.udp.send_to(&packet, endpoint.media).await.is_ok() {
            sent += 1;
        }
    }
    sent
}

/// Receives until `until`, counting per sender SSRC and sampling latency.
pub(crate) async fn listen(
    endpoint: Endpoint,
    clock: Instant,
    until: tokio::time::Instant,
    latency_us: Histogram<u64>,
) -> Received {
    let mut received = Received { per_ssrc: HashMap::new(), latency_us, corrupt: 0 };
    let mut buf = vec![0u8; 2048];
    let mut plain = Vec::with_capacity(2048);
    loop {
        match tokio::time::timeout_at(until, endpoint.udp.readable()).await {
            Err(_) => return received,
            Ok(Err(_)) => return received,
            Ok(Ok(())) => {}
        }
        // Drain what is queued with one readiness wakeup.
        while let Ok(n) = endpoint.udp.try_recv(&mut buf) {
            let data = &buf[..n];
            if n < HEADER_LEN + STAMP_LEN + OVERHEAD || data[0] >> 6 != 2 {
                continue;
            }
            let ssrc = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
            *received.per_ssrc.entry(ssrc).or_default() += 1;
            if !endpoint.sample_latency {
                continue;
            }
            let stamp = match endpoint.seal.as_ref() {
                Seal::Plain => &data[HEADER_LEN..],
                Seal::Aead(cipher) => {
                    plain.clear();
                    if cipher.open(data, HEADER_LEN, &mut plain).is_err() {
                        received.corrupt += 1;
                        continue;
                    }
                    &plain[..]
                }
            };
            let now_ns = u64::try_from(clock.elapsed().as_nanos()).unwrap_or(u64::MAX);
            let sent_ns = u64::from_be_bytes(stamp[..8].try_into().unwrap_or_default());
            let sequence = u32::from_be_bytes(stamp[8..12].try_into().unwrap_or_default());
            if u16::from_be_bytes([data[2], data[3]]) != sequence as u16 || sent_ns > now_ns {
                received.corrupt += 1;
                continue;
            }
            let _ = received.latency_us.record((now_ns - sent_ns) / 1000);
        }
    }
}

/// 1 µs to 60 s at 3 significant digits.
pub(crate) fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}
