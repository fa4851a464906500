//! One browser participant: a str0m [`Rtc`] in ICE-lite and RTP mode (sfu-stack.md §1), the
//! meaning of its m-lines, and its receive [`Slots`]. str0m does ICE, DTLS-SRTP, RTCP (NACK and
//! RTX, PLI/FIR, receiver reports, TWCC) and bandwidth estimation; this wrapper turns what comes
//! out of it into forwarding work for the [`super::Sfu`] and writes forwarded packets into the
//! right slot. Every mutation is followed by draining `poll_output` to its timeout, as str0m's
//! run-loop contract requires.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use str0m::bwe::{Bitrate, BweKind};
use str0m::change::SdpOffer;
use str0m::config::DtlsCert;
use str0m::format::Codec;
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Mid, Pt, Rid};
use str0m::net::{Protocol, Receive};
use str0m::rtp::{ExtensionValues, RtpPacket, RtpWrite, SeqNo, Ssrc};
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};

use super::batch::Batch;
use super::slots::{Feed, Slot, Slots, choose_layer, vp8_keyframe};
use crate::Error;

/// A packet to forward, whoever sent it: RTP fields and the media payload, shared by every
/// receiver (str0m takes payloads as `Arc<[u8]>`).
#[derive(Debug, Clone)]
pub(crate) struct Media {
    pub(crate) feed: Feed,
    pub(crate) rid: Option<Rid>,
    pub(crate) seq: u16,
    pub(crate) ts: u32,
    pub(crate) marker: bool,
    pub(crate) audio_level: Option<i8>,
    pub(crate) voice_activity: Option<bool>,
    pub(crate) payload: Arc<[u8]>,
}

/// A native participant's audio packet as browsers get it: the Opus payload without the
/// extension body and padding that precede and follow it in the opened packet.
pub(crate) fn native_audio(header: &crate::rtp::RtpHeader, plaintext: &[u8]) -> Option<Media> {
    Some(Media {
        feed: Feed::Audio,
        rid: None,
        seq: header.sequence,
        ts: header.timestamp,
        marker: header.marker,
        audio_level: None,
        voice_activity: None,
        payload: Arc::from(header.payload(plaintext)?),
    })
}

/// Whether an offer has a receive-only video m-line (a video slot).
fn receives_video(sdp: &str) -> bool {
    sdp.split("\nm=")
        .skip(1)
        .any(|media| media.starts_with("video") && media.lines().any(|l| l.trim_end() == "a=recvonly"))
}

/// What a browser's connection produced that concerns others.
#[derive(Debug)]
pub(crate) enum PeerEvent {
    /// Media it sent, to forward to its room.
    Inbound(Media),
    /// It asks for a keyframe of what slot `mid` carries.
    Keyframe(Mid),
}

/// The browser's m-lines that carry its own media.
#[derive(Debug, Default)]
struct Uploads {
    mic: Option<Mid>,
    camera: Option<Mid>,
    screen: Option<Mid>,
}

#[derive(Debug)]
pub(crate) struct WebPeer {
    rtc: Rtc,
    /// Our ICE username fragment: a browser's checks name it, which routes them here.
    pub(crate) ufrag: String,
    /// Addresses its checks came from.
    pub(crate) addrs: Vec<SocketAddr>,
    /// When str0m wants `handle_input(Timeout)` next.
    pub(crate) timeout: Instant,
    uploads: Uploads,
    pub(crate) slots: Slots,
    opus: Option<Pt>,
    vp8: Option<Pt>,
    /// What each incoming SSRC is, once seen.
    sources: HashMap<Ssrc, (Feed, Option<Rid>)>,
    /// Simulcast layers of its camera seen so far, lowest first.
    pub(crate) layers: Vec<Rid>,
    pub(crate) camera_on: bool,
    pub(crate) screen_on: bool,
    /// The bandwidth estimate toward it (bits/s).
    estimate: Option<u64>,
    /// False once ICE gave up or str0m failed: the peer sends and receives nothing more.
    pub(crate) alive: bool,
    /// Slots were added since the SFU last looked: they need owners.
    pub(crate) slots_added: bool,
    /// Packets were written since the last drain.
    pub(crate) unflushed: bool,
    /// Packets written into its slots, ever.
    pub(crate) written: u64,
}

/// Browsers' addresses a peer keeps (one per candidate pair that checked in).
pub(crate) const MAX_ADDRS: usize = 8;

impl WebPeer {
    /// A peer for `offer` (the browser's SDP), reached at `local`; returns it and the answer.
    /// `cert` is the server's DTLS certificate, shared by all peers (generating one per peer
    /// would cost a key generation per join).
    pub(crate) fn new(
        now: Instant,
        local: SocketAddr,
        offer: &str,
        cert: &DtlsCert,
    ) -> Result<(WebPeer, String), Error> {
        let receives_video = receives_video(offer);
        let offer = SdpOffer::from_sdp_string(offer).map_err(|_| Error::Sdp)?;
        let mut config = Rtc::builder()
            .set_dtls_cert(cert.clone())
            .set_ice_lite(true)
            .set_rtp_mode(true)
            // Forwarding needs one codec per kind that every browser speaks.
            .clear_codecs()
            .enable_opus(true, false)
            .enable_vp8(true);
        // The bandwidth estimate picks simulcast layers for video slots. An audio-only peer has
        // no use for it, and without it str0m needs no pacer, whose timer walks every stream of
        // the peer every few milliseconds.
        if receives_video {
            config = config.enable_bwe(Some(Bitrate::kbps(600)));
        }
        let mut rtc = config.build(now);
        let candidate = Candidate::host(local, "udp").map_err(|_| Error::WebRtc)?;
        rtc.add_local_candidate(candidate).ok_or(Error::WebRtc)?;
        let answer = rtc.sdp_api().accept_offer(offer).map_err(|_| Error::Sdp)?;
        if receives_video {
            // No padding floor of our own: probing finds room for video when a camera is on.
            rtc.bwe().set_bitrate(Bitrate::ZERO, Bitrate::mbps(3));
        }
        let ufrag = rtc.direct_api().local_ice_credentials().ufrag;
        let mut peer = WebPeer {
            rtc,
            ufrag,
            addrs: Vec::new(),
            timeout: now,
            uploads: Uploads::default(),
            slots: Slots::default(),
            opus: None,
            vp8: None,
            sources: HashMap::new(),
            layers: Vec::new(),
            camera_on: false,
            screen_on: false,
            estimate: None,
            alive: true,
            slots_added: false,
            unflushed: false,
            written: 0,
        };
        for params in peer.rtc.codec_config().params() {
            match params.spec().codec {
                Codec::Opus if peer.opus.is_none() => peer.opus = Some(params.pt()),
                Codec::Vp8 if peer.vp8.is_none() => peer.vp8 = Some(params.pt()),
                _ => {}
            }
        }
        // str0m announces the m-lines (MediaAdded) once the connection is up; until then the
        // peer has no slots and receives nothing, which is all it could do anyway.
        let mut ignored = Vec::new();
        peer.drain(&mut Batch::new(), &mut ignored);
        if peer.opus.is_none() {
            return Err(Error::Sdp);
        }
        Ok((peer, answer.to_sdp_string()))
    }

    /// A datagram from `from` (STUN, DTLS, SRTP or SRTCP).
    pub(crate) fn receive(
        &mut self,
        now: Instant,
        from: SocketAddr,
        local: SocketAddr,
        data: &[u8],
        out: &mut Batch,
        events: &mut Vec<PeerEvent>,
    ) {
        if !self.alive {
            return;
        }
        let Ok(receive) = Receive::new(Protocol::Udp, from, local, data) else { return };
        if !self.addrs.contains(&from) && self.addrs.len() < MAX_ADDRS {
            self.addrs.push(from);
        }
        if self.rtc.handle_input(Input::Receive(now, receive)).is_err() {
            // A malformed or unexpected datagram: str0m refuses it and stays usable.
            return;
        }
        self.drain(out, events);
    }

    /// Time passed: retransmissions, RTCP, pacing, ICE timeouts.
    pub(crate) fn handle_timeout(&mut self, now: Instant, out: &mut Batch, events: &mut Vec<PeerEvent>) {
        if !self.alive {
            return;
        }
        if self.rtc.handle_input(Input::Timeout(now)).is_err() {
            self.fail();
            return;
        }
        self.drain(out, events);
    }

    /// Writes `media` from `sender` into the slot carrying it, if any (sent at the next
    /// [`WebPeer::flush`]). Returns the layer to ask the sender a keyframe of, when the slot
    /// waits for one.
    pub(crate) fn forward(
        &mut self,
        now: Instant,
        sender: u32,
        media: &Media,
        sender_layers: &[Rid],
    ) -> Option<Option<Rid>> {
        if !self.alive {
            return None;
        }
        let video_slots = self.slots.video_in_use();
        let estimate = self.estimate;
        let slot = self.slots.find_mut(sender, media.feed)?;
        let mut keyframe_wanted = None;
        if media.feed == Feed::Camera && media.rid.is_some() {
            let best = choose_layer(sender_layers, estimate, video_slots);
            if best != slot.rid && best != slot.pending {
                slot.pending = best;
            }
            if slot.pending.is_some() {
                if media.rid == slot.pending && vp8_keyframe(&media.payload) {
                    slot.rid = slot.pending.take();
                    slot.needs_keyframe = false;
                    slot.rewrite.restart();
                } else if slot.keyframe_due(now) {
                    keyframe_wanted = Some(slot.pending);
                }
            }
            if media.rid != slot.rid {
                return keyframe_wanted;
            }
        } else if slot.needs_keyframe {
            if vp8_keyframe(&media.payload) {
                slot.needs_keyframe = false;
            } else {
                return slot.keyframe_due(now).then_some(None);
            }
        }
        let pt = if media.feed == Feed::Audio { self.opus } else { self.vp8 };
        let (Some(pt), Some((seq, ts))) = (pt, slot.rewrite.map(media.seq, media.ts, media.feed)) else {
            return keyframe_wanted;
        };
        let mid = slot.mid;
        let exts = ExtensionValues {
            audio_level: media.audio_level,
            voice_activity: media.voice_activity,
            ..Default::default()
        };
        let write = RtpWrite::new(pt, SeqNo::from(seq), ts, now, media.payload.clone())
            .marker(media.marker)
            .ext_vals(exts)
            .nackable(media.feed != Feed::Audio);
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_tx_by_mid(mid, None) else { return keyframe_wanted };
        stream.write_rtp(write);
        // Drained by `flush` once the whole batch of received datagrams is forwarded: one
        // drain (which walks all of the peer's streams) per batch instead of one per packet.
        self.unflushed = true;
        self.written += 1;
        keyframe_wanted
    }

    /// Sends what `forward` wrote: str0m's egress runs when time advances, so the peer gets
    /// `now` first (else the packets would wait for its next timer).
    pub(crate) fn flush(&mut self, now: Instant, out: &mut Batch, events: &mut Vec<PeerEvent>) {
        if self.unflushed {
            if self.rtc.handle_input(Input::Timeout(now)).is_err() {
                self.fail();
                return;
            }
            self.drain(out, events);
        }
    }

    /// Asks the browser for a keyframe of its camera (layer `rid`) or screen.
    pub(crate) fn request_keyframe(
        &mut self,
        feed: Feed,
        rid: Option<Rid>,
        out: &mut Batch,
        events: &mut Vec<PeerEvent>,
    ) {
        let mid = match feed {
            Feed::Camera => self.uploads.camera,
            Feed::Screen => self.uploads.screen,
            Feed::Audio => None,
        };
        let Some(mid) = mid else { return };
        let mut api = self.rtc.direct_api();
        let Some(stream) = api.stream_rx_by_mid(mid, rid) else { return };
        stream.request_keyframe(KeyframeRequestKind::Pli);
        self.drain(out, events);
    }

    /// The slot `mid` and who it carries.
    pub(crate) fn slot(&self, mid: Mid) -> Option<&Slot> {
        self.slots.by_mid(mid)
    }

    fn fail(&mut self) {
        self.rtc.disconnect();
        self.alive = false;
    }

    fn drain(&mut self, out: &mut Batch, events: &mut Vec<PeerEvent>) {
        self.unflushed = false;
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => {
                    self.timeout = at;
                    return;
                }
                Ok(Output::Transmit(t)) => {
                    let _ = out.push_with(t.destination, |buf| {
                        buf.extend_from_slice(&t.contents);
                        Ok::<(), ()>(())
                    });
                }
                Ok(Output::Event(event)) => self.event(event, events),
                Err(_) => {
                    self.fail();
                    return;
                }
            }
        }
    }

    fn event(&mut self, event: Event, events: &mut Vec<PeerEvent>) {
        match event {
            Event::MediaAdded(added) => self.media_added(added.mid, added.kind, added.direction),
            Event::RtpPacket(packet) => {
                if let Some(media) = self.inbound(packet) {
                    events.push(PeerEvent::Inbound(media));
                }
            }
            Event::KeyframeRequest(request) => events.push(PeerEvent::Keyframe(request.mid)),
            Event::EgressBitrateEstimate(BweKind::Twcc { estimate, .. } | BweKind::Remb { estimate, .. }) => {
                self.estimate = Some(estimate.as_u64());
            }
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) | Event::Closed => self.alive = false,
            _ => {}
        }
    }

    /// Sorts the browser's m-lines: what it sends (the first audio is its microphone, the
    /// first video its camera, the second its screen) and what it receives (slots).
    fn media_added(&mut self, mid: Mid, kind: MediaKind, direction: Direction) {
        let uploads = &mut self.uploads;
        match (kind, direction) {
            (MediaKind::Audio, Direction::RecvOnly | Direction::SendRecv) if uploads.mic.is_none() => {
                uploads.mic = Some(mid);
            }
            (MediaKind::Video, Direction::RecvOnly | Direction::SendRecv) if uploads.camera.is_none() => {
                uploads.camera = Some(mid);
            }
            (MediaKind::Video, Direction::RecvOnly | Direction::SendRecv) if uploads.screen.is_none() => {
                uploads.screen = Some(mid);
            }
            (MediaKind::Audio, Direction::SendOnly) => {
                self.slots.audio.push(Slot::new(mid));
                self.slots_added = true;
            }
            (MediaKind::Video, Direction::SendOnly) => {
                self.slots.video.push(Slot::new(mid));
                self.slots_added = true;
            }
            _ => {}
        }
    }

    fn inbound(&mut self, packet: RtpPacket) -> Option<Media> {
        let ssrc = packet.header.ssrc;
        let (feed, rid) = match self.sources.get(&ssrc) {
            Some(known) => *known,
            None => {
                let stream = self.rtc.direct_api().stream_rx(&ssrc).map(|s| (s.mid(), s.rid()));
                let (mid, rid) = stream?;
                let feed = if Some(mid) == self.uploads.mic {
                    Feed::Audio
                } else if Some(mid) == self.uploads.camera {
                    Feed::Camera
                } else if Some(mid) == self.uploads.screen {
                    Feed::Screen
                } else {
                    return None;
                };
                if let (Feed::Camera, Some(rid)) = (feed, rid)
                    && !self.layers.contains(&rid)
                {
                    self.layers.push(rid);
                    self.layers.sort_by_key(super::slots::layer_rank);
                }
                self.sources.insert(ssrc, (feed, rid));
                (feed, rid)
            }
        };
        let exts = &packet.header.ext_vals;
        Some(Media {
            feed,
            rid,
            seq: packet.header.sequence_number,
            ts: packet.header.timestamp,
            marker: packet.header.marker,
            audio_level: exts.audio_level,
            voice_activity: exts.voice_activity,
            payload: packet.payload,
        })
    }
}
