//! The browser side of the [`Sfu`]: WebRTC connections set up from SELECT_PROTOCOL's offer,
//! their datagrams routed by address (or, for the first ICE check, by ufrag), their media
//! forwarded to browsers (into receive slots) and to native clients (sealed with Discord's
//! transport encryption), keyframe requests carried back to the sender, and str0m's timers.

use std::net::SocketAddr;
use std::time::Instant;

use super::slots::Feed;
use super::web::{Media, PeerEvent, WebPeer};
use super::{Sfu, stun};
use crate::Error;

/// What signalling must tell a browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SfuEvent {
    /// Which of browser `to`'s receive slots (by mid) carry participant `ssrc`'s audio, camera
    /// and screen now (op 12 to `to`); `None`: not received (no free slot, or not sent).
    Slots { to: u32, ssrc: u32, user_id: u64, audio: Option<String>, camera: Option<String>, screen: Option<String> },
}

/// Audio levels at or below -70 dBov count as silence.
const SILENCE_DBOV: u8 = 70;

/// RTP payload type native clients expect Opus with (Discord's).
const NATIVE_OPUS_PT: u8 = 120;

impl Sfu {
    /// The address browsers send to (the ICE host candidate offered in answers): the socket's
    /// public address. Without it offers are refused.
    pub fn set_local(&mut self, addr: SocketAddr) {
        self.local = Some(addr);
    }

    /// A browser's SELECT_PROTOCOL: participant `ssrc` (added at READY) connects with WebRTC
    /// using `offer`; returns the SDP answer. A second offer replaces the first connection.
    ///
    /// # Errors
    /// [`Error::UnknownParticipant`] for an SSRC not added, [`Error::Sdp`] for an offer str0m
    /// cannot answer (or one without Opus), [`Error::WebRtc`] without a local address.
    pub fn accept_offer(&mut self, now: Instant, ssrc: u32, offer: &str) -> Result<String, Error> {
        let local = self.local.ok_or(Error::WebRtc)?;
        if !self.participants.contains_key(&ssrc) {
            return Err(Error::UnknownParticipant);
        }
        if self.dtls_cert.is_none() {
            self.dtls_cert = str0m::crypto::from_feature_flags().dtls_provider.generate_certificate();
        }
        let cert = self.dtls_cert.as_ref().ok_or(Error::WebRtc)?;
        let (peer, answer) = WebPeer::new(now, local, offer, cert)?;
        let Some(p) = self.participants.get_mut(&ssrc) else { return Err(Error::UnknownParticipant) };
        self.ufrags.insert(peer.ufrag.clone(), ssrc);
        if !self.browsers.contains(&ssrc) {
            self.browsers.push(ssrc);
        }
        let old = p.web.replace(Box::new(peer));
        let room = p.room;
        if let Some(old) = old {
            self.forget_web(&old);
        }
        self.reassign(room);
        Ok(answer)
    }

    /// A browser started or stopped its camera or screen (op 12): slots for them are given or
    /// taken back in the room's other browsers.
    pub fn set_video(&mut self, ssrc: u32, camera: bool, screen: bool) {
        let Some(p) = self.participants.get_mut(&ssrc) else { return };
        let Some(web) = p.web.as_mut() else { return };
        if (web.camera_on, web.screen_on) == (camera, screen) {
            return;
        }
        web.camera_on = camera;
        web.screen_on = screen;
        let room = p.room;
        self.reassign(room);
    }

    /// When [`Sfu::handle_timeout`] is due next (browsers' connections have timers; native
    /// participants none).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.browsers
            .iter()
            .filter_map(|s| self.participants.get(s)?.web.as_ref())
            .filter(|w| w.alive)
            .map(|w| w.timeout)
            .min()
    }

    /// Drives the timers of every browser connection that is due.
    pub fn handle_timeout(&mut self, now: Instant, out: &mut super::Batch) {
        self.clock = Some(now);
        let due: Vec<u32> = self
            .browsers
            .iter()
            .copied()
            .filter(|s| {
                self.participants.get(s).and_then(|p| p.web.as_ref()).is_some_and(|w| w.alive && w.timeout <= now)
            })
            .collect();
        for ssrc in due {
            let Some(web) = self.participants.get_mut(&ssrc).and_then(|p| p.web.as_mut()) else { continue };
            web.handle_timeout(now, out, &mut self.peer_events);
            let added = std::mem::take(&mut web.slots_added);
            self.queue.extend(self.peer_events.drain(..).map(|e| (ssrc, e)));
            if added && let Some(room) = self.participants.get(&ssrc).map(|p| p.room) {
                self.reassign(room);
            }
        }
        self.process_queue(now, out);
        self.flush(now, out);
    }

    /// Sends what was forwarded to browsers since the last flush (their connections turn the
    /// queued packets into SRTP datagrams in `out`). Drivers call it once per batch of
    /// received datagrams, before sending `out`.
    pub fn flush(&mut self, now: Instant, out: &mut super::Batch) {
        while !self.unflushed.is_empty() {
            for ssrc in std::mem::take(&mut self.unflushed) {
                let Some(web) = self.participants.get_mut(&ssrc).and_then(|p| p.web.as_mut()) else { continue };
                web.flush(now, out, &mut self.peer_events);
                self.queue.extend(self.peer_events.drain(..).map(|e| (ssrc, e)));
            }
            // Draining may have produced keyframe requests, which may forward nothing more
            // but are worked off here.
            self.process_queue(now, out);
        }
    }

    /// The next thing signalling must tell a client.
    pub fn poll_event(&mut self) -> Option<SfuEvent> {
        self.notices.pop_front()
    }

    /// A STUN message from an address no browser used yet: its USERNAME names the connection.
    pub(super) fn stun(&mut self, now: Instant, from: SocketAddr, data: &[u8], out: &mut super::Batch) {
        let Some(&ssrc) = stun::local_ufrag(data).and_then(|ufrag| self.ufrags.get(ufrag)) else {
            self.stats.dropped_malformed += 1;
            return;
        };
        let Some(web) = self.participants.get_mut(&ssrc).and_then(|p| p.web.as_mut()) else { return };
        if web.addrs.len() >= super::web::MAX_ADDRS {
            self.stats.dropped_malformed += 1;
            return;
        }
        self.web_addrs.insert(from, ssrc);
        self.web_receive(now, ssrc, from, data, out);
    }

    /// A datagram of browser `ssrc`'s connection.
    pub(super) fn web_receive(
        &mut self,
        now: Instant,
        ssrc: u32,
        from: SocketAddr,
        data: &[u8],
        out: &mut super::Batch,
    ) {
        let Some(local) = self.local else { return };
        let Some(p) = self.participants.get_mut(&ssrc) else { return };
        let Some(web) = p.web.as_mut() else { return };
        self.stats.webrtc += 1;
        p.last_received = Some(now);
        web.receive(now, from, local, data, out, &mut self.peer_events);
        let reassign = std::mem::take(&mut web.slots_added).then_some(p.room);
        self.queue.extend(self.peer_events.drain(..).map(|e| (ssrc, e)));
        if let Some(room) = reassign {
            self.reassign(room);
        }
        self.process_queue(now, out);
    }

    /// Works through what browsers' connections produced: media to forward and keyframe
    /// requests to pass on (which may produce more work, hence the queue).
    pub(super) fn process_queue(&mut self, now: Instant, out: &mut super::Batch) {
        while let Some((origin, event)) = self.queue.pop_front() {
            match event {
                PeerEvent::Inbound(media) => self.fan_out(now, origin, &media, out),
                PeerEvent::Keyframe(mid) => {
                    let owner = self
                        .participants
                        .get(&origin)
                        .and_then(|p| p.web.as_ref())
                        .and_then(|w| w.slot(mid))
                        .and_then(|slot| Some((slot.owner?, slot.rid)));
                    if let Some(((sender, feed), rid)) = owner {
                        self.keyframe(sender, feed, rid, out);
                    }
                }
            }
        }
    }

    fn keyframe(&mut self, sender: u32, feed: Feed, rid: Option<str0m::media::Rid>, out: &mut super::Batch) {
        let Some(web) = self.participants.get_mut(&sender).and_then(|p| p.web.as_mut()) else { return };
        web.request_keyframe(feed, rid, out, &mut self.peer_events);
        self.queue.extend(self.peer_events.drain(..).map(|e| (sender, e)));
    }

    /// Media a browser sent, to everyone else in its room: browsers through their slots,
    /// native clients (audio only) sealed with their key, under the browser's READY SSRC.
    fn fan_out(&mut self, now: Instant, sender: u32, media: &Media, out: &mut super::Batch) {
        let Some(p) = self.participants.get_mut(&sender) else { return };
        self.stats.rtp += 1;
        if media.feed == Feed::Audio && p.muted {
            self.stats.dropped_muted += 1;
            return;
        }
        let room = p.room;
        // RFC 6464 level: 0 is loudest, 127 silence; browsers send packets even when silent.
        if media.feed == Feed::Audio
            && media.audio_level.is_none_or(|level| level.unsigned_abs() < SILENCE_DBOV)
            && !super::active(p.last_voice.replace(now), now)
        {
            self.reassign(room);
        }
        let Some(p) = self.participants.get_mut(&sender) else { return };
        // Borrowed out and put back, so the loop can take receivers mutably.
        let layers = p.web.as_mut().map(|w| std::mem::take(&mut w.layers)).unwrap_or_default();
        let count = self.rooms.get(&room).map_or(0, Vec::len);
        let mut keyframes = Vec::new();
        for i in 0..count {
            let Some(&ssrc) = self.rooms.get(&room).and_then(|m| m.get(i)) else { break };
            if ssrc == sender {
                continue;
            }
            let Some(receiver) = self.participants.get_mut(&ssrc) else { continue };
            if media.feed == Feed::Audio && receiver.deafened {
                continue;
            }
            if let Some(web) = receiver.web.as_mut() {
                let written = web.written;
                if let Some(rid) = web.forward(now, sender, media, &layers) {
                    keyframes.push((media.feed, rid));
                }
                if web.written > written {
                    self.stats.forwarded += 1;
                    if !self.unflushed.contains(&ssrc) {
                        self.unflushed.push(ssrc);
                    }
                }
                continue;
            }
            if media.feed != Feed::Audio {
                continue;
            }
            let (Some(cipher), Some(to)) = (&receiver.cipher, receiver.addr) else { continue };
            let mut header = [0u8; 12];
            header[0] = 0x80;
            header[1] = u8::from(media.marker) << 7 | NATIVE_OPUS_PT;
            header[2..4].copy_from_slice(&media.seq.to_be_bytes());
            header[4..8].copy_from_slice(&media.ts.to_be_bytes());
            header[8..12].copy_from_slice(&sender.to_be_bytes());
            let counter = receiver.tx_counter;
            if out.push_with(to, |buf| cipher.seal(&header, &media.payload, counter, buf)).is_ok() {
                receiver.tx_counter = counter.wrapping_add(1);
                self.stats.forwarded += 1;
            }
        }
        if let Some(web) = self.participants.get_mut(&sender).and_then(|p| p.web.as_mut()) {
            web.layers = layers;
        }
        keyframes.sort_unstable_by_key(|(feed, rid)| (*feed as u8, rid.map(|r| r.to_string())));
        keyframes.dedup();
        for (feed, rid) in keyframes {
            self.keyframe(sender, feed, rid, out);
        }
    }

    /// Gives every browser of `room` slots for what the others send, and queues an op 12
    /// notice for every browser whose slots for someone changed.
    pub(super) fn reassign(&mut self, room: u64) {
        let Some(members) = self.rooms.get(&room) else { return };
        let now = self.clock;
        let mut senders: Vec<(u32, u64, bool, bool, bool)> = members
            .iter()
            .filter_map(|&s| {
                let p = self.participants.get(&s)?;
                let (camera, screen) = p.web.as_ref().map_or((false, false), |w| (w.camera_on, w.screen_on));
                let speaking = now.is_some_and(|now| super::active(p.last_voice, now));
                Some((s, p.user_id, camera, screen, speaking))
            })
            .collect();
        // Who is speaking comes first, then everyone in joining order (the sort is stable).
        senders.sort_by_key(|s| !s.4);
        for &(to, ..) in &senders {
            let Some(web) = self.participants.get_mut(&to).and_then(|p| p.web.as_mut()) else { continue };
            let wanted: Vec<(u32, Feed)> = senders
                .iter()
                .filter(|s| s.0 != to)
                .flat_map(|&(s, _, camera, screen, _)| {
                    [Some((s, Feed::Audio)), camera.then_some((s, Feed::Camera)), screen.then_some((s, Feed::Screen))]
                })
                .flatten()
                .collect();
            let mut changed = web.slots.assign(&wanted);
            changed.retain(|s| *s != to);
            for ssrc in changed {
                // A sender that left needs no notice: op 13 says so, and its slots go to
                // whoever gets them next with a notice of their own.
                let Some(user_id) = senders.iter().find(|s| s.0 == ssrc).map(|s| s.1) else { continue };
                let Some(web) = self.participants.get(&to).and_then(|p| p.web.as_ref()) else { continue };
                let mid = |feed| web.slots.mid_of(ssrc, feed).map(|m| m.to_string());
                self.notices.push_back(SfuEvent::Slots {
                    to,
                    ssrc,
                    user_id,
                    audio: mid(Feed::Audio),
                    camera: mid(Feed::Camera),
                    screen: mid(Feed::Screen),
                });
            }
        }
    }

    /// Drops a browser connection's routes.
    pub(super) fn forget_web(&mut self, web: &WebPeer) {
        self.ufrags.remove(&web.ufrag);
        for addr in &web.addrs {
            self.web_addrs.remove(addr);
        }
    }
}
