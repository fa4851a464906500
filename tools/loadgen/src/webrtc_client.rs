//! WebRTC participants as browsers are, on str0m (sfu-stack.md §5.iv): full ICE, DTLS-SRTP, RTP
//! mode, one UDP socket each, no decoding. A speaker replays a canned audio packet every 20 ms
//! whose payload carries its send time; a listener counts what arrives on its receive m-lines and
//! reads that time back (added latency). The same clients load guildhall (`voice --webrtc`) and
//! Janus's videoroom (`janus`), so both SFUs see the same packets from the same code.
//!
//! One thread drives every client: it polls the sockets, feeds str0m, drains it to its timeout
//! after every input (str0m's run-loop contract), and sends on schedule.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::format::Codec;
use str0m::media::{Direction, MediaKind, Mid, Pt};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{RtpWrite, SeqNo};
use str0m::{Candidate, Event, Input, Output, Rtc};

/// 20 ms of 48 kHz audio per packet.
pub(crate) const FRAME: Duration = Duration::from_millis(20);
/// Send time (µs since the run's epoch) at the start of every payload.
const STAMP_LEN: usize = 8;

/// One WebRTC participant.
#[derive(Debug)]
pub(crate) struct WebClient {
    rtc: Rtc,
    udp: UdpSocket,
    local: SocketAddr,
    /// Its microphone m-line, when it sends.
    mic: Option<Mid>,
    opus: Option<Pt>,
    connected: bool,
    seq: u64,
    timeout: Instant,
    /// RTP packets received (on any m-line).
    pub(crate) received: u64,
    /// Payloads without a readable stamp.
    pub(crate) corrupt: u64,
}

impl WebClient {
    /// A client on a fresh socket at `ip`, offering a sending microphone and `audio_slots`
    /// receive m-lines (guildhall's contract); returns the offer to send.
    pub(crate) fn offering(ip: IpAddr, audio_slots: usize) -> anyhow::Result<(WebClient, String, SdpPendingOffer)> {
        let mut client = WebClient::bind(ip)?;
        let mut api = client.rtc.sdp_api();
        let mic = api.add_media(MediaKind::Audio, Direction::SendOnly, None, None, None);
        for _ in 0..audio_slots {
            api.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
        }
        let (offer, pending) = api.apply().context("nothing to offer")?;
        client.mic = Some(mic);
        Ok((client, offer.to_sdp_string(), pending))
    }

    /// A client on a fresh socket at `ip` that answers `offer` (a Janus subscriber).
    pub(crate) fn answering(ip: IpAddr, offer: &str) -> anyhow::Result<(WebClient, String)> {
        let mut client = WebClient::bind(ip)?;
        let offer = SdpOffer::from_sdp_string(offer).context("the SFU's offer")?;
        let answer = client.rtc.sdp_api().accept_offer(offer).context("answering the SFU's offer")?;
        Ok((client, answer.to_sdp_string()))
    }

    fn bind(ip: IpAddr) -> anyhow::Result<WebClient> {
        let udp = UdpSocket::bind(SocketAddr::new(ip, 0))?;
        udp.set_nonblocking(true)?;
        let local = udp.local_addr()?;
        let now = Instant::now();
        let mut rtc = Rtc::builder().set_rtp_mode(true).clear_codecs().enable_opus(true, false).build(now);
        rtc.add_local_candidate(Candidate::host(local, "udp")?).context("local candidate")?;
        Ok(WebClient {
            rtc,
            udp,
            local,
            mic: None,
            opus: None,
            connected: false,
            seq: 0,
            timeout: now,
            received: 0,
            corrupt: 0,
        })
    }

    /// The SFU's answer to our offer.
    pub(crate) fn accept(&mut self, pending: SdpPendingOffer, answer: &str) -> anyhow::Result<()> {
        let answer = SdpAnswer::from_sdp_string(answer).context("the SFU's answer")?;
        self.rtc.sdp_api().accept_answer(pending, answer).context("accepting the answer")?;
        self.opus = self.rtc.codec_config().params().iter().find(|p| p.spec().codec == Codec::Opus).map(|p| p.pt());
        Ok(())
    }

    /// Reads everything queued on the socket and lets time pass; `latency` gets the stamps of
    /// packets received.
    fn poll(&mut self, now: Instant, epoch: Instant, buf: &mut [u8], latency: &mut Histogram<u64>) {
        while let Ok((n, from)) = self.udp.recv_from(buf) {
            let Ok(receive) = Receive::new(Protocol::Udp, from, self.local, &buf[..n]) else { continue };
            if self.rtc.handle_input(Input::Receive(now, receive)).is_ok() {
                self.drain(now, epoch, latency);
            }
        }
        if now >= self.timeout && self.rtc.handle_input(Input::Timeout(now)).is_ok() {
            self.drain(now, epoch, latency);
        }
    }

    /// One stamped audio packet of `len` bytes.
    fn speak(&mut self, now: Instant, epoch: Instant, len: usize, latency: &mut Histogram<u64>) {
        let (Some(mic), Some(pt)) = (self.mic, self.opus) else { return };
        let mut payload = vec![0x5a_u8; len.max(STAMP_LEN)];
        let stamp = now.saturating_duration_since(epoch).as_micros() as u64;
        payload[..STAMP_LEN].copy_from_slice(&stamp.to_be_bytes());
        let seq = self.seq;
        self.seq += 1;
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(mic, None) else { return };
        stream.write_rtp(RtpWrite::new(pt, SeqNo::from(seq), (seq * 960) as u32, now, Arc::<[u8]>::from(payload)));
        self.drain(now, epoch, latency);
    }

    fn drain(&mut self, now: Instant, epoch: Instant, latency: &mut Histogram<u64>) {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.timeout = at;
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    let _ = self.udp.send_to(&t.contents, t.destination);
                }
                Ok(Output::Event(Event::Connected)) => self.connected = true,
                Ok(Output::Event(Event::RtpPacket(p))) => {
                    self.received += 1;
                    match p.payload.get(..STAMP_LEN).and_then(|s| <[u8; 8]>::try_from(s).ok()) {
                        Some(stamp) => {
                            let sent = Duration::from_micros(u64::from_be_bytes(stamp));
                            let age = now.saturating_duration_since(epoch).saturating_sub(sent);
                            latency.saturating_record(age.as_micros() as u64);
                        }
                        None => self.corrupt += 1,
                    }
                }
                Ok(Output::Event(_)) => {}
                Err(_) => return,
            }
        }
    }
}

/// Drives the clients until every one is connected (ICE + DTLS), or fails after `within`.
pub(crate) fn connect_all(clients: &mut [WebClient], within: Duration) -> anyhow::Result<()> {
    let epoch = Instant::now();
    let until = epoch + within;
    let mut buf = vec![0u8; 2048];
    let mut ignored = Histogram::new(3)?;
    while clients.iter().any(|c| !c.connected) {
        if Instant::now() > until {
            let n = clients.iter().filter(|c| !c.connected).count();
            bail!("{n} of {} WebRTC clients did not connect within {within:?}", clients.len());
        }
        for c in clients.iter_mut() {
            c.poll(Instant::now(), epoch, &mut buf, &mut ignored);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    Ok(())
}

/// What a media phase measured on the clients' side.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// Packets each speaker sent.
    pub(crate) sent: Vec<u32>,
    pub(crate) latency_us: Histogram<u64>,
}

/// Speakers (`speaking[i]`) send `packets` packets of `len` bytes, one per [`FRAME`], starting
/// at `start`; everyone receives until `until`. Runs on the calling thread.
pub(crate) fn run(
    clients: &mut [WebClient],
    speaking: &[bool],
    start: Instant,
    packets: u32,
    len: usize,
    until: Instant,
) -> anyhow::Result<Outcome> {
    let epoch = start;
    let mut latency = Histogram::new_with_bounds(1, 60_000_000, 3)?;
    let mut sent = vec![0u32; clients.len()];
    let mut buf = vec![0u8; 2048];
    let speakers: Vec<usize> = (0..clients.len()).filter(|&i| speaking.get(i).copied().unwrap_or(false)).collect();
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        for c in clients.iter_mut() {
            c.poll(now, epoch, &mut buf, &mut latency);
        }
        // Every speaker that is due sends (spread over the frame, like independent clients).
        for (k, &i) in speakers.iter().enumerate() {
            let offset = FRAME * u32::try_from(k).unwrap_or(0) / u32::try_from(speakers.len()).unwrap_or(1);
            let due = start + offset + FRAME * sent[i];
            if sent[i] < packets && now >= due {
                clients[i].speak(now, epoch, len, &mut latency);
                sent[i] += 1;
            }
        }
        // The next thing to do: a send, a str0m timer, or 1 ms for the sockets.
        let next_send = speakers
            .iter()
            .enumerate()
            .filter(|&(_, &i)| sent[i] < packets)
            .map(|(k, &i)| {
                start
                    + FRAME * u32::try_from(k).unwrap_or(0) / u32::try_from(speakers.len()).unwrap_or(1)
                    + FRAME * sent[i]
            })
            .min();
        let wake = [Some(now + Duration::from_millis(1)), next_send].into_iter().flatten().min().unwrap_or(until);
        std::thread::sleep(wake.saturating_duration_since(Instant::now()));
    }
    Ok(Outcome { sent, latency_us: latency })
}
