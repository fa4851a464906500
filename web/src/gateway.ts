// Gateway v10 client: zlib-stream transport compression (one inflate context per
// connection, messages end at a sync flush), heartbeats with zombie detection, RESUME after a
// drop, IDENTIFY again when the session cannot be resumed (protocol.md §1).
import { Unzlib } from "fflate";

type Dispatch = (name: string, data: any, seq: number) => void;

interface Options {
  token: string;
  /** Initial presence status (op 2 `presence`). */
  status: string;
  onDispatch: Dispatch;
  /** The token was refused (4004): the stored login is stale. */
  onAuthFailed: () => void;
  onState?: (state: ConnectionState) => void;
}

export type ConnectionState = "connecting" | "ready" | "resuming" | "disconnected";

/** Close codes after which reconnecting cannot help (protocol.md §1.4). */
const FATAL = new Set([4004, 4010, 4011, 4012, 4013, 4014]);
const SYNC_FLUSH = [0x00, 0x00, 0xff, 0xff];

/** One dispatch as the test hooks see it: what arrived, in order (bounded). */
export interface LoggedDispatch {
  t: string;
  s: number;
  channel_id?: string;
  id?: string;
}

export class Gateway {
  private ws: WebSocket | null = null;
  private sessionId: string | null = null;
  private resumeUrl: string | null = null;
  private seq: number | null = null;
  private heartbeat: ReturnType<typeof setTimeout> | null = null;
  private acked = true;
  private closedByUs = false;
  private attempts = 0;
  /** Every dispatch received (name, sequence and the channel it concerns), newest last. */
  readonly log: LoggedDispatch[] = [];

  constructor(private readonly options: Options) {}

  start() {
    this.closedByUs = false;
    this.connect(false);
  }

  stop() {
    this.closedByUs = true;
    this.clearHeartbeat();
    this.ws?.close(1000);
    this.ws = null;
  }

  /** Drops the connection the way a network failure would; the client resumes. */
  dropConnection() {
    this.ws?.close(4000, "client drop");
  }

  send(op: number, d: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ op, d }));
  }

  setStatus(status: string) {
    this.options.status = status;
    this.send(3, { since: null, activities: [], status, afk: false });
  }

  private url(resume: boolean): string {
    const base =
      resume && this.resumeUrl
        ? this.resumeUrl
        : `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/gateway`;
    const u = new URL(base, location.href);
    u.searchParams.set("v", "10");
    u.searchParams.set("encoding", "json");
    u.searchParams.set("compress", "zlib-stream");
    return u.toString();
  }

  private connect(resume: boolean) {
    this.options.onState?.(resume ? "resuming" : "connecting");
    const ws = new WebSocket(this.url(resume));
    ws.binaryType = "arraybuffer";
    this.ws = ws;

    const inflater = new ZlibStreamDecoder();
    ws.onmessage = (event) => {
      let text: string | null;
      if (typeof event.data === "string") {
        text = event.data;
      } else {
        try {
          text = inflater.push(new Uint8Array(event.data as ArrayBuffer));
        } catch {
          ws.close(4000, "decompression failed");
          return;
        }
        if (text === null) return;
      }
      let payload: { op: number; d: any; s: number | null; t: string | null };
      try {
        payload = JSON.parse(text);
      } catch {
        return;
      }
      if (ws === this.ws) this.handle(payload);
    };
    ws.onclose = (event) => {
      if (ws !== this.ws) return;
      this.clearHeartbeat();
      this.ws = null;
      if (this.closedByUs) return;
      if (event.code === 4004) {
        this.options.onState?.("disconnected");
        this.options.onAuthFailed();
        return;
      }
      if (FATAL.has(event.code)) {
        this.options.onState?.("disconnected");
        return;
      }
      // 4007 (bad seq) and 4009 (timed out) end the session; any other close may resume.
      if (event.code === 4007 || event.code === 4009) this.forgetSession();
      this.options.onState?.("disconnected");
      const delay = Math.min(1000 * 2 ** this.attempts, 15000) * (0.5 + Math.random() / 2);
      this.attempts++;
      setTimeout(() => {
        if (!this.closedByUs) this.connect(this.sessionId !== null);
      }, this.attempts === 1 ? 250 : delay);
    };
  }

  private handle(payload: { op: number; d: any; s: number | null; t: string | null }) {
    switch (payload.op) {
      case 10: {
        const interval = payload.d.heartbeat_interval as number;
        this.acked = true;
        this.scheduleHeartbeat(interval * Math.random(), interval);
        if (this.sessionId && this.seq !== null) {
          this.send(6, { token: this.options.token, session_id: this.sessionId, seq: this.seq });
        } else {
          this.identify();
        }
        break;
      }
      case 11:
        this.acked = true;
        break;
      case 1:
        this.send(1, this.seq);
        break;
      case 7:
        this.ws?.close(4000, "reconnect requested");
        break;
      case 9: {
        const resumable = payload.d === true;
        if (!resumable) this.forgetSession();
        setTimeout(() => (resumable ? this.ws?.close(4000, "resume") : this.identify()), 1000 + Math.random() * 2000);
        break;
      }
      case 0: {
        if (payload.s !== null) this.seq = payload.s;
        const name = payload.t ?? "";
        const data = payload.d;
        if (name === "READY") {
          this.sessionId = data.session_id;
          this.resumeUrl = data.resume_gateway_url ?? null;
          this.attempts = 0;
          this.options.onState?.("ready");
        } else if (name === "RESUMED") {
          this.attempts = 0;
          this.options.onState?.("ready");
        }
        this.log.push({
          t: name,
          s: payload.s ?? 0,
          channel_id: data?.channel_id ?? (name.startsWith("CHANNEL_") ? data?.id : undefined),
          id: data?.id,
        });
        if (this.log.length > 5000) this.log.splice(0, this.log.length - 5000);
        this.options.onDispatch(name, data, payload.s ?? 0);
        break;
      }
    }
  }

  private identify() {
    this.send(2, {
      token: this.options.token,
      properties: { os: navigator.platform || "browser", browser: "guildhall-web", device: "" },
      presence: { since: null, activities: [], status: this.options.status, afk: false },
      compress: false,
    });
  }

  private forgetSession() {
    this.sessionId = null;
    this.resumeUrl = null;
    this.seq = null;
  }

  private scheduleHeartbeat(first: number, interval: number) {
    this.clearHeartbeat();
    const beat = () => {
      if (!this.acked) {
        // No ACK since the last beat: the connection is a zombie; drop it and resume.
        this.ws?.close(4000, "heartbeat not acknowledged");
        return;
      }
      this.acked = false;
      this.send(1, this.seq);
      this.heartbeat = setTimeout(beat, interval);
    };
    this.heartbeat = setTimeout(beat, first);
  }

  private clearHeartbeat() {
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = null;
  }
}

/**
 * zlib-stream transport compression: one inflate context for the connection's lifetime; a
 * message is complete when the bytes received so far end with the sync-flush marker
 * (00 00 ff ff). A frame may carry part of a message.
 */
export class ZlibStreamDecoder {
  private pending: Uint8Array[] = [];
  private inflated: Uint8Array[] = [];
  private readonly inflater = new Unzlib((chunk) => this.inflated.push(chunk));
  private readonly decoder = new TextDecoder();

  /** The message's text once `bytes` completes one, else null. Throws on corrupt input. */
  push(bytes: Uint8Array): string | null {
    this.pending.push(bytes);
    if (!endsWithFlush(bytes)) return null;
    const input = concat(this.pending);
    this.pending = [];
    this.inflated = [];
    this.inflater.push(input);
    return this.decoder.decode(concat(this.inflated));
  }
}

function endsWithFlush(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  return SYNC_FLUSH.every((b, i) => bytes[bytes.length - 4 + i] === b);
}

/** The bytes of `parts` in one array (the part itself when there is one). */
export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
