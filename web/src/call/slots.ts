// Which of this browser's receive slots (recvonly transceivers, by mid) carries whose media. The
// voice server hands slots out and announces every change with op 12 (README "Voice"); a slot may
// move from one user to another, so the newest announcement wins and evicts older holders.

export type Kind = "audio" | "video" | "screen";

export interface Mids {
  audio?: string | null;
  video?: string | null;
  screen?: string | null;
}

export const KINDS: Kind[] = ["audio", "video", "screen"];

export class SlotMap {
  private byUser: Record<string, Mids> = {};

  /** Applies op 12's `mids` for `userId`. */
  update(userId: string, mids: Mids) {
    const next: Mids = { audio: mids.audio ?? null, video: mids.video ?? null, screen: mids.screen ?? null };
    const taken = new Set(KINDS.map((k) => next[k]).filter((m): m is string => Boolean(m)));
    for (const [other, held] of Object.entries(this.byUser)) {
      if (other === userId) continue;
      let changed = false;
      const kept: Mids = { ...held };
      for (const k of KINDS) {
        if (kept[k] && taken.has(kept[k] as string)) {
          kept[k] = null;
          changed = true;
        }
      }
      if (changed) this.byUser[other] = kept;
    }
    this.byUser[userId] = next;
  }

  /** A user left the channel: its slots are free. */
  remove(userId: string) {
    delete this.byUser[userId];
  }

  clear() {
    this.byUser = {};
  }

  mid(userId: string, kind: Kind): string | null {
    return this.byUser[userId]?.[kind] ?? null;
  }

  /** Who `mid` carries now, and which of their media. */
  owner(mid: string): { userId: string; kind: Kind } | null {
    for (const [userId, held] of Object.entries(this.byUser)) {
      for (const k of KINDS) if (held[k] === mid) return { userId, kind: k };
    }
    return null;
  }

  snapshot(): Record<string, Mids> {
    return JSON.parse(JSON.stringify(this.byUser));
  }
}

/**
 * The voice WebSocket URL. A page served over HTTPS uses the endpoint VOICE_SERVER_UPDATE names
 * (wss://, as Discord's clients do); a page on plain HTTP (a local server) asks its own origin,
 * which serves /voice too, because browsers reject the self-signed certificate of the endpoint.
 */
export function voiceUrl(endpoint: string, page: { protocol: string; host: string }): string {
  if (page.protocol === "https:") return `wss://${endpoint.replace(/^wss?:\/\//, "")}?v=8`;
  return `ws://${page.host}/voice?v=8`;
}
