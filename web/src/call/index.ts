// The call: which voice channel this browser is in, its own mute/deafen/camera/screen, and the
// VoiceConnection that carries it. Joining is Discord's: gateway op 4, then VOICE_STATE_UPDATE (our
// session id) and VOICE_SERVER_UPDATE (token, endpoint) start the voice connection; a new
// VOICE_SERVER_UPDATE (a move, a rejoin) starts a fresh one. Components read it with `useCall`.
import { useSyncExternalStore } from "react";
import { VoiceConnection, type Inbound, type VoiceStatus } from "./connection";
import type { Kind } from "./slots";

export interface CallState {
  guildId: string | null;
  channelId: string | null;
  status: "idle" | "joining" | VoiceStatus;
  muted: boolean;
  deafened: boolean;
  camera: boolean;
  screen: boolean;
  speaking: string[];
  /** Bumped whenever the slots (who is received where) change, so tiles re-read their streams. */
  version: number;
}

interface Pending {
  sessionId?: string;
  token?: string;
  endpoint?: string;
}

type Send = (op: number, d: unknown) => void;

let state: CallState = {
  guildId: null,
  channelId: null,
  status: "idle",
  muted: localStorage.getItem("guildhall.muted") === "1",
  deafened: localStorage.getItem("guildhall.deafened") === "1",
  camera: false,
  screen: false,
  speaking: [],
  version: 0,
};
const listeners = new Set<() => void>();
let conn: VoiceConnection | null = null;
let pending: Pending = {};
let send: Send = () => {};
let me: () => string | null = () => null;
let retry: ReturnType<typeof setTimeout> | null = null;

function set(patch: Partial<CallState>) {
  state = { ...state, ...patch };
  for (const l of listeners) l();
}

export function useCall<T>(select: (s: CallState) => T): T {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => select(state),
  );
}

export function getCall(): CallState {
  return state;
}

/** Wires the call to the gateway (called once the gateway exists). */
export function bindGateway(gatewaySend: Send, myId: () => string | null) {
  send = gatewaySend;
  me = myId;
  installTestHooks();
}

function opFour(channelId: string | null) {
  if (!state.guildId) return;
  send(4, {
    guild_id: state.guildId,
    channel_id: channelId,
    self_mute: state.muted,
    self_deaf: state.deafened,
    self_video: state.camera,
    self_stream: state.screen,
  });
}

export function joinVoice(guildId: string, channelId: string) {
  if (state.guildId === guildId && state.channelId === channelId && state.status !== "idle") return;
  if (state.guildId && state.guildId !== guildId) leaveVoice();
  pending = {};
  set({ guildId, channelId, status: "joining" });
  opFour(channelId);
}

export function leaveVoice() {
  opFour(null);
  stopConnection();
  pending = {};
  set({ guildId: null, channelId: null, status: "idle", camera: false, screen: false, speaking: [] });
}

let mutedBeforeDeafen = state.muted;

export function toggleMute() {
  // Unmuting while deafened undeafens too, as in Discord.
  if (state.deafened) applyFlags(false, false);
  else applyFlags(!state.muted, false);
}

export function toggleDeafen() {
  if (state.deafened) return applyFlags(mutedBeforeDeafen, false);
  mutedBeforeDeafen = state.muted;
  applyFlags(true, true);
}

function applyFlags(muted: boolean, deafened: boolean) {
  set({ muted, deafened });
  localStorage.setItem("guildhall.deafened", deafened ? "1" : "0");
  localStorage.setItem("guildhall.muted", muted ? "1" : "0");
  conn?.setMuted(muted);
  conn?.setDeafened(deafened);
  if (state.channelId) opFour(state.channelId);
}

export async function toggleCamera() {
  if (!conn) return;
  await conn.setCamera(!state.camera).catch(() => {});
  set({ camera: Boolean(conn?.camera) });
  opFour(state.channelId);
}

export async function toggleScreen() {
  if (!conn) return;
  await conn.setScreen(!state.screen).catch(() => {});
  set({ screen: Boolean(conn?.screen) });
  opFour(state.channelId);
}

/** Per-user volume, 0–1 (kept across sessions). */
export function userVolume(userId: string): number {
  const v = Number(localStorage.getItem(`guildhall.volume.${userId}`) ?? "1");
  return Number.isFinite(v) ? v : 1;
}

export function setUserVolume(userId: string, volume: number) {
  localStorage.setItem(`guildhall.volume.${userId}`, String(volume));
  conn?.refreshVolumes();
  set({ version: state.version + 1 });
}

/** The stream of `userId`'s `kind` as received here, or this browser's own camera/screen. */
export function mediaOf(userId: string, kind: Kind): MediaStream | null {
  if (!conn) return null;
  if (userId === me()) return kind === "video" ? conn.camera : kind === "screen" ? conn.screen : null;
  return conn.stream(userId, kind);
}

/** Gateway dispatches that concern the call. */
export function onVoiceDispatch(name: string, d: any) {
  if (name === "VOICE_STATE_UPDATE" && d.user_id === me() && d.guild_id === state.guildId) {
    if (!d.channel_id) {
      // Disconnected by someone else (or from another session): the call is over.
      if (state.status !== "joining") {
        stopConnection();
        set({ guildId: null, channelId: null, status: "idle", camera: false, screen: false, speaking: [] });
      }
      return;
    }
    pending.sessionId = d.session_id;
    set({ channelId: d.channel_id });
    // Server mute silences the microphone whatever the own toggle says.
    conn?.setMuted(state.muted || Boolean(d.mute));
    maybeConnect(false);
  } else if (name === "VOICE_SERVER_UPDATE" && d.guild_id === state.guildId && state.guildId) {
    pending.token = d.token;
    pending.endpoint = d.endpoint;
    maybeConnect(true);
  }
}

function maybeConnect(fresh: boolean) {
  const { sessionId, token, endpoint } = pending;
  const userId = me();
  if (!sessionId || !token || !endpoint || !userId || !state.guildId || !state.channelId) return;
  if (conn && !fresh) return;
  stopConnection();
  const grant = { guildId: state.guildId, channelId: state.channelId, userId, sessionId, token, endpoint };
  const c = new VoiceConnection(grant, state.muted, state.deafened, userVolume, {
    onChange: () => {
      if (conn !== c) return;
      set({ status: c.status === "disconnected" ? state.status : c.status, speaking: [...c.speaking], version: state.version + 1 });
    },
    onClosed: (code) => {
      if (conn !== c) return;
      conn = null;
      set({ status: "connecting", camera: false, screen: false, speaking: [] });
      // 4014: disconnected or moved; a new VOICE_SERVER_UPDATE follows a move. Others: start over.
      if (code !== 4014 && code !== 4022) retry = setTimeout(() => maybeConnect(true), 1000);
    },
  });
  conn = c;
  set({ status: "connecting", camera: false, screen: false });
  c.start();
}

function stopConnection() {
  if (retry) clearTimeout(retry);
  retry = null;
  conn?.stop();
  conn = null;
}

/** `window.__guildhall.voice` for the end-to-end tests. */
function installTestHooks() {
  const w = window as unknown as { __guildhall?: Record<string, unknown> };
  w.__guildhall = {
    ...(w.__guildhall ?? {}),
    voice: {
      state: () => (state.status === "connected" ? "connected" : state.status === "idle" ? "disconnected" : "connecting"),
      pc: () => conn?.pc ?? null,
      ssrc: () => conn?.ssrc ?? null,
      mids: () => conn?.slots.snapshot() ?? {},
      inbound: (): Promise<Inbound[]> => conn?.inbound() ?? Promise.resolve([]),
    },
  };
}
