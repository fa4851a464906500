//! The media half of a voice participant, the same code against guildhall (AEAD) and against
//! the bare UDP forwarder (plain): speakers send one RTP packet every 20 ms carrying, inside
//! the (encrypted) payload, the send time and a sequence number, padded to an Opus frame's
//! size; every participant counts what it receives per speaker (loss from the clear RTP
//! header) and the sampled ones open each packet to read the send time (added latency).

use std::collections::HashMap;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use guildhall_voice_proto::crypto::{Cipher, OVERHEAD};
use hdrhistogram::Histogram;
use nix::sys::socket::{ControlMessageOwned, MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg, setsockopt, sockopt};
use nix::sys::time::TimeSpec;

/// The clear RTP header the speakers send: V=2, no CSRC, no extension.
const HEADER_LEN: usize = 12;
/// Opus in RTP (Discord uses payload type 120).
const PAYLOAD_TYPE: u8 = 0x78;
/// 20 ms of 48 kHz audio per packet.
pub(crate) const FRAME: Duration = Duration::from_millis(20);
/// Send time (ns since the Unix epoch) and sequence at the start of the payload.
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
    /// Non-blocking, not registered with tokio.
    pub(crate) udp: Arc<std::net::UdpSocket>,
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
    /// Whether the socket gives kernel receive timestamps.
    stamped: bool,
}

/// Sends `packets` packets, one per [`FRAME`] from `start`; returns how many went out.
pub(crate) async fn speak(endpoint: Endpoint, start: tokio::time::Instant, packets: u32, payload_len: usize) -> u32 {
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
        let now_ns = wall_ns();
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
        // Non-blocking: a full send queue loses the packet, which the listeners count as loss.
        if endpoint.udp.send_to(&packet, endpoint.media).is_ok() {
            sent += 1;
        }
    }
    sent
}

/// Datagrams per `recvmmsg` of a listener.
const RECV_BATCH: usize = 16;
/// How often the listener threads drain each socket. The kernel stamps each datagram on
/// arrival, so draining late changes no latency figure; it lets one `recvmmsg` take several
/// packets (a listener of 3 speakers gets 150/s) and spares a wakeup per packet, which is what
/// lets one load-generator process receive 150k packets/s beside the server on a small box.
const DRAIN_EVERY: Duration = Duration::from_millis(20);

/// Receives on every socket of `endpoints` until `until` (one blocking thread; a handful of
/// them serve a thousand participants), counting per sender SSRC and sampling latency.
///
/// The receive time is the kernel's (SO_TIMESTAMPNS, set when the datagram was queued on the
/// socket), so the latency is send → arrival and not the load generator's own scheduling.
pub(crate) fn listen_group(endpoints: &[Endpoint], until: Instant, latency_us: &Histogram<u64>) -> Vec<Received> {
    let mut out: Vec<Received> = endpoints
        .iter()
        .map(|e| {
            let stamped = setsockopt(&*e.udp, sockopt::ReceiveTimestampns, &true).is_ok();
            Received { per_ssrc: HashMap::new(), latency_us: latency_us.clone(), corrupt: 0, stamped }
        })
        .collect();
    let mut bufs = vec![[0u8; 2048]; RECV_BATCH];
    let mut got: Vec<(usize, Option<u64>)> = Vec::with_capacity(RECV_BATCH);
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(RECV_BATCH, Some(nix::cmsg_space!(TimeSpec)));
    let mut plain = Vec::with_capacity(2048);
    let mut next = Instant::now();
    loop {
        let last = Instant::now() >= until;
        for (endpoint, received) in endpoints.iter().zip(out.iter_mut()) {
            loop {
                got.clear();
                {
                    let mut slices: Vec<[IoSliceMut<'_>; 1]> = bufs.iter_mut().map(|b| [IoSliceMut::new(b)]).collect();
                    let Ok(msgs) = recvmmsg(
                        endpoint.udp.as_raw_fd(),
                        &mut headers,
                        slices.iter_mut(),
                        MsgFlags::MSG_DONTWAIT,
                        None,
                    ) else {
                        break;
                    };
                    got.extend(msgs.map(|m| {
                        let at = m.cmsgs().ok().and_then(|mut c| {
                            c.find_map(|c| match c {
                                ControlMessageOwned::ScmTimestampns(ts) => Some(timespec_ns(&ts)),
                                _ => None,
                            })
                        });
                        (m.bytes, at)
                    }));
                }
                for (buf, &(n, kernel_at)) in bufs.iter().zip(&got) {
                    let at = if received.stamped { kernel_at } else { None };
                    record(endpoint, &buf[..n.min(buf.len())], at, &mut plain, received);
                }
                if got.len() < RECV_BATCH {
                    break;
                }
            }
        }
        if last {
            return out;
        }
        next += DRAIN_EVERY;
        let now = Instant::now();
        if next > now {
            std::thread::sleep((next.min(until)) - now);
        } else {
            next = now;
        }
    }
}

/// Counts one datagram and, for a sampled listener, opens it and records its latency.
fn record(endpoint: &Endpoint, data: &[u8], kernel_at: Option<u64>, plain: &mut Vec<u8>, received: &mut Received) {
    if data.len() < HEADER_LEN + STAMP_LEN + OVERHEAD || data[0] >> 6 != 2 {
        return;
    }
    let ssrc = u32::from_be_bytes([data[8], data[9], data[10], data[11]]);
    *received.per_ssrc.entry(ssrc).or_default() += 1;
    if !endpoint.sample_latency {
        return;
    }
    let stamp = match endpoint.seal.as_ref() {
        Seal::Plain => &data[HEADER_LEN..],
        Seal::Aead(cipher) => {
            plain.clear();
            if cipher.open(data, HEADER_LEN, plain).is_err() {
                received.corrupt += 1;
                return;
            }
            &plain[..]
        }
    };
    let sent_ns = u64::from_be_bytes(stamp[..8].try_into().unwrap_or_default());
    let sequence = u32::from_be_bytes(stamp[8..12].try_into().unwrap_or_default());
    if u16::from_be_bytes([data[2], data[3]]) != sequence as u16 {
        received.corrupt += 1;
        return;
    }
    // Without kernel stamps (not expected on Linux) the drain time is all there is.
    let at = kernel_at.unwrap_or_else(wall_ns);
    let _ = received.latency_us.record(at.saturating_sub(sent_ns) / 1000);
}

/// Nanoseconds since the Unix epoch: the kernel's receive timestamps use the same clock.
pub(crate) fn wall_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn timespec_ns(ts: &TimeSpec) -> u64 {
    u64::try_from(ts.tv_sec()).unwrap_or(0).saturating_mul(1_000_000_000) + u64::try_from(ts.tv_nsec()).unwrap_or(0)
}

/// 1 µs to 60 s at 3 significant digits.
pub(crate) fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}
