// One voice connection from the browser: the voice WebSocket (v8: HELLO, IDENTIFY, READY, heartbeats
// with seq_ack) and an RTCPeerConnection to guildhall's SFU. SELECT_PROTOCOL carries the offer
// (`protocol: "webrtc"`), SESSION_DESCRIPTION the answer. The offer's m-lines, in this order, are the
// contract with the server: microphone, camera (simulcast l/m/h), screen, then receive slots for
// other people's audio and video, which the server assigns and announces with op 12 (no
// renegotiation ever). No React in here: the call store (./index.ts) reflects it.
import { SlotMap, voiceUrl, type Kind, type Mids } from "./slots";

export interface Grant {
  guildId: string;
  channelId: string;
  userId: string;
  sessionId: string;
  token: string;
  endpoint: string;
}

export type VoiceStatus = "connecting" | "connected" | "disconnected";

export interface Hooks {
  /** Something the UI shows changed (status, slots, speaking, local media). */
  onChange: () => void;
  /** The WebSocket closed with `code` (the store decides whether to reconnect). */
  onClosed: (code: number) => void;
}

export interface Inbound {
  userId: string | null;
  kind: "audio" | "video";
  mid: string;
  packets: number;
  samples?: number;
  concealed?: number;
  framesDecoded?: number;
  level?: number;
}

const AUDIO_SLOTS = 16;
const VIDEO_SLOTS = 12;
/** Camera layers: the server forwards one per receiver, by its bandwidth (README "Voice"). */
const CAMERA_LAYERS: RTCRtpEncodingParameters[] = [
  { rid: "l", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "m", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: "h", maxBitrate: 1_500_000 },
];
/** RMS of the last 100 ms above which someone counts as speaking. */
const SPEAKING_RMS = 0.01;

export class VoiceConnection {
  readonly slots = new SlotMap();
  status: VoiceStatus = "connecting";
  ssrc: number | null = null;
  pc: RTCPeerConnection | null = null;
  /** Users heard speaking in the last 100 ms window (this user included). */
  speaking = new Set<string>();
  camera: MediaStream | null = null;
  screen: MediaStream | null = null;

  private ws: WebSocket | null = null;
  private seq = -1;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private levels: ReturnType<typeof setInterval> | null = null;
  private mic: MediaStreamTrack | null = null;
  private senders: { mic?: RTCRtpSender; camera?: RTCRtpSender; screen?: RTCRtpSender } = {};
  private audio = new Map<string, HTMLAudioElement>();
  private analysers = new Map<string, AnalyserNode>();
  private micAnalyser: AnalyserNode | null = null;
  private ctx: AudioContext | null = null;
  private remote = new Map<string, MediaStream>();
  private stopped = false;

  constructor(
    private readonly grant: Grant,
    private muted: boolean,
    private deafened: boolean,
    private readonly volumes: (userId: string) => number,
    private readonly hooks: Hooks,
  ) {}

  start() {
    const ws = new WebSocket(voiceUrl(this.grant.endpoint, location));
    this.ws = ws;
    ws.onmessage = (e) => void this.message(JSON.parse(String(e.data)));
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.teardown();
      this.setStatus("disconnected");
      if (!this.stopped) this.hooks.onClosed(e.code);
    };
  }

  stop() {
    this.stopped = true;
    this.ws?.close(1000);
    this.teardown();
    this.setStatus("disconnected");
  }

  setMuted(muted: boolean) {
    this.muted = muted;
    if (this.mic) this.mic.enabled = !muted;
    // Op 5 tells native clients whether this SSRC speaks (0 = stopped).
    if (this.ssrc !== null) this.send(5, { speaking: muted ? 0 : 1, delay: 0, ssrc: this.ssrc });
  }

  setDeafened(deafened: boolean) {
    this.deafened = deafened;
    this.applySlots();
  }

  /** Applies a changed per-user volume. */
  refreshVolumes() {
    this.applySlots();
  }

  async setCamera(on: boolean) {
    if (on === Boolean(this.camera)) return;
    if (on) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
      if (this.stopped) return stream.getTracks().forEach((t) => t.stop());
      await this.senders.camera?.replaceTrack(stream.getVideoTracks()[0] ?? null);
      this.camera = stream;
    } else {
      await this.senders.camera?.replaceTrack(null);
      this.camera?.getTracks().forEach((t) => t.stop());
      this.camera = null;
    }
    this.announceVideo();
  }

  async setScreen(on: boolean) {
    if (on === Boolean(this.screen)) return;
    if (on) {
      const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
      if (this.stopped) return stream.getTracks().forEach((t) => t.stop());
      const track = stream.getVideoTracks()[0] ?? null;
      // The browser's own "Stop sharing" ends the track.
      if (track) track.onended = () => void this.setScreen(false);
      await this.senders.screen?.replaceTrack(track);
      this.screen = stream;
    } else {
      await this.senders.screen?.replaceTrack(null);
      this.screen?.getTracks().forEach((t) => t.stop());
      this.screen = null;
    }
    this.announceVideo();
  }

  /** What `userId` sends that reaches this browser, as a stream for a media element. */
  stream(userId: string, kind: Kind): MediaStream | null {
    const mid = this.slots.mid(userId, kind);
    if (!mid || !this.pc) return null;
    const cached = this.remote.get(mid);
    if (cached) return cached;
    const transceiver = this.pc.getTransceivers().find((t) => t.mid === mid);
    if (!transceiver) return null;
    const stream = new MediaStream([transceiver.receiver.track]);
    this.remote.set(mid, stream);
    return stream;
  }

  /** getStats' inbound RTP streams, attributed to users through the slots (test hook). */
  async inbound(): Promise<Inbound[]> {
    if (!this.pc) return [];
    const stats = await this.pc.getStats();
    const out: Inbound[] = [];
    stats.forEach((s) => {
      if (s.type !== "inbound-rtp" || !s.mid) return;
      out.push({
        userId: this.slots.owner(s.mid)?.userId ?? null,
        kind: s.kind,
        mid: s.mid,
        packets: s.packetsReceived ?? 0,
        samples: s.totalSamplesReceived,
        concealed: s.concealedSamples,
        framesDecoded: s.framesDecoded,
        level: s.audioLevel,
      });
    });
    return out;
  }

  private send(op: number, d: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d }));
  }

  private async message(m: { op: number; d: any; seq?: number }) {
    if (typeof m.seq === "number") this.seq = m.seq;
    switch (m.op) {
      case 8: // HELLO
        this.heartbeat = setInterval(() => this.send(3, { t: Date.now(), seq_ack: this.seq }), m.d.heartbeat_interval);
        this.send(0, {
          server_id: this.grant.guildId,
          user_id: this.grant.userId,
          session_id: this.grant.sessionId,
          token: this.grant.token,
          video: true,
        });
        break;
      case 2: // READY
        this.ssrc = m.d.ssrc;
        await this.offer();
        break;
      case 4: // SESSION_DESCRIPTION
        if (!this.pc || typeof m.d.sdp !== "string") return;
        await this.pc.setRemoteDescription({ type: "answer", sdp: m.d.sdp });
        this.attachAudio();
        this.setMuted(this.muted);
        break;
      case 12: // VIDEO: which slots carry that user now
        this.slots.update(String(m.d.user_id), (m.d.mids ?? {}) as Mids);
        this.applySlots();
        this.hooks.onChange();
        break;
      case 13: // CLIENT_DISCONNECT
        this.slots.remove(String(m.d.user_id));
        this.applySlots();
        this.hooks.onChange();
        break;
    }
  }

  private async offer() {
    const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle", rtcpMuxPolicy: "require" });
    this.pc = pc;
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") this.setStatus("connected");
      else if (pc.connectionState === "failed") this.ws?.close(4000);
    };
    try {
      const media = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      });
      this.mic = media.getAudioTracks()[0] ?? null;
    } catch {
      this.mic = null; // no microphone (or refused): listen only
    }
    if (this.stopped) return this.teardown();
    if (this.mic) this.mic.enabled = !this.muted;
    this.senders.mic = (this.mic ? pc.addTransceiver(this.mic, { direction: "sendonly" }) : pc.addTransceiver("audio", { direction: "sendonly" })).sender;
    this.senders.camera = pc.addTransceiver("video", { direction: "sendonly", sendEncodings: CAMERA_LAYERS }).sender;
    this.senders.screen = pc.addTransceiver("video", { direction: "sendonly" }).sender;
    for (let i = 0; i < AUDIO_SLOTS; i++) pc.addTransceiver("audio", { direction: "recvonly" });
    for (let i = 0; i < VIDEO_SLOTS; i++) pc.addTransceiver("video", { direction: "recvonly" });
    preferForwardableCodecs(pc);
    await pc.setLocalDescription(await pc.createOffer());
    this.send(1, { protocol: "webrtc", data: pc.localDescription?.sdp ?? "" });
    this.startLevels();
  }

  /** One playing <audio> per audio slot (Chromium plays remote audio only through a sink). */
  private attachAudio() {
    if (!this.pc) return;
    for (const t of this.pc.getTransceivers()) {
      if (t.direction !== "recvonly" || t.receiver.track.kind !== "audio" || !t.mid || this.audio.has(t.mid)) continue;
      const el = document.createElement("audio");
      el.autoplay = true;
      el.muted = true;
      el.srcObject = new MediaStream([t.receiver.track]);
      el.dataset.mid = t.mid;
      el.style.display = "none";
      document.body.append(el);
      void el.play().catch(() => {});
      this.audio.set(t.mid, el);
      const analyser = this.analyse(el.srcObject as MediaStream);
      if (analyser) this.analysers.set(t.mid, analyser);
    }
    this.applySlots();
  }

  /** Mutes free slots, applies deafen and each user's volume. */
  private applySlots() {
    for (const [mid, el] of this.audio) {
      const owner = this.slots.owner(mid);
      el.muted = !owner || this.deafened;
      if (owner) el.volume = Math.min(1, Math.max(0, this.volumes(owner.userId)));
    }
  }

  private announceVideo() {
    const streams = [
      { type: "video", rid: "h", active: Boolean(this.camera) },
      { type: "screen", active: Boolean(this.screen) },
    ];
    this.send(12, { audio_ssrc: this.ssrc ?? 0, video_ssrc: 0, rtx_ssrc: 0, streams });
    this.hooks.onChange();
  }

  private analyse(stream: MediaStream): AnalyserNode | null {
    try {
      this.ctx ??= new AudioContext();
      const analyser = this.ctx.createAnalyser();
      analyser.fftSize = 2048;
      this.ctx.createMediaStreamSource(stream).connect(analyser);
      return analyser;
    } catch {
      return null;
    }
  }

  private startLevels() {
    if (this.mic) this.micAnalyser = this.analyse(new MediaStream([this.mic]));
    const buf = new Float32Array(2048);
    this.levels = setInterval(() => {
      const now = new Set<string>();
      const loud = (a: AnalyserNode | null | undefined) => {
        if (!a) return false;
        a.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        return Math.sqrt(sum / buf.length) > SPEAKING_RMS;
      };
      if (!this.muted && loud(this.micAnalyser)) now.add(this.grant.userId);
      for (const [mid, analyser] of this.analysers) {
        const owner = this.slots.owner(mid);
        if (owner && loud(analyser)) now.add(owner.userId);
      }
      if (now.size !== this.speaking.size || [...now].some((u) => !this.speaking.has(u))) {
        this.speaking = now;
        this.hooks.onChange();
      }
    }, 100);
  }

  private setStatus(status: VoiceStatus) {
    if (this.status === status) return;
    this.status = status;
    this.hooks.onChange();
  }

  private teardown() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.levels) clearInterval(this.levels);
    this.heartbeat = this.levels = null;
    for (const el of this.audio.values()) el.remove();
    this.audio.clear();
    this.analysers.clear();
    this.remote.clear();
    for (const t of [this.mic, ...(this.camera?.getTracks() ?? []), ...(this.screen?.getTracks() ?? [])]) t?.stop();
    this.mic = null;
    this.camera = this.screen = null;
    this.pc?.close();
    this.pc = null;
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
    this.speaking = new Set();
  }
}

/**
 * The SFU forwards Opus and VP8 only: offering just those (with RTX) keeps the offer small (a
 * video m-line with every codec Chromium knows is about 3 KB) and the answer obvious.
 */
function preferForwardableCodecs(pc: RTCPeerConnection) {
  const pick = (kind: "audio" | "video", keep: string[]) =>
    (RTCRtpReceiver.getCapabilities(kind)?.codecs ?? []).filter((c) => keep.includes(c.mimeType.toLowerCase()));
  const audio = pick("audio", ["audio/opus"]);
  const video = pick("video", ["video/vp8", "video/rtx"]);
  for (const t of pc.getTransceivers()) {
    try {
      const kind = t.receiver.track.kind;
      if (kind === "audio" && audio.length) t.setCodecPreferences(audio);
      if (kind === "video" && video.length) t.setCodecPreferences(video);
    } catch {
      // Older engines: the full offer works too, only bigger.
    }
  }
}
