// What the UI does: log in and out, keep the gateway connected, load history, send and
// change messages. Server answers arrive as gateway dispatches; the REST replies are applied
// too so the page never waits on the gateway for its own actions.
import { api, setToken } from "./api";
import { bindGateway, leaveVoice, onVoiceDispatch } from "./call";
import { Gateway } from "./gateway";
import { navigate } from "./router";
import { applyDispatch, getState, resetState, setState, upsertMessage } from "./store";
import type { Message, Snowflake, Status } from "./types";

const TOKEN_KEY = "guildhall.token";
let gateway: Gateway | null = null;

export function storedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function start(token: string) {
  localStorage.setItem(TOKEN_KEY, token);
  setToken(token);
  gateway?.stop();
  gateway = new Gateway({
    token,
    status: getState().status,
    onDispatch: (name, data) => {
      setState((s) => applyDispatch(s, name, data));
      if (name === "GUILD_CREATE") requestMissingMembers(data);
      if (name === "VOICE_STATE_UPDATE" || name === "VOICE_SERVER_UPDATE") onVoiceDispatch(name, data);
      // A guild left, deleted or banned from while open: back home.
      if (name === "GUILD_DELETE" && location.pathname.startsWith(`/channels/${data.id}`)) navigate("/channels/@me", true);
    },
    onAuthFailed: logout,
    onState: (connection) => setState((s) => ({ ...s, connection })),
  });
  gateway.start();
  // Test and debugging hook: the dispatch log and a way to simulate a network drop.
  (window as unknown as { __guildhall: unknown }).__guildhall = { gateway, getState };
  bindGateway((op, d) => gateway?.send(op, d), () => getState().me?.id ?? null);
}

export function logout() {
  leaveVoice();
  localStorage.removeItem(TOKEN_KEY);
  setToken(null);
  gateway?.stop();
  gateway = null;
  resetState();
  navigate("/login");
}

/** GUILD_CREATE carries members only up to the large threshold; ask for the rest (op 8). */
function requestMissingMembers(guild: { id: Snowflake; member_count?: number; members?: unknown[] }) {
  if ((guild.members?.length ?? 0) < (guild.member_count ?? 0)) {
    gateway?.send(8, { guild_id: guild.id, query: "", limit: 0, presences: true });
  }
}

export function setStatus(status: Status) {
  localStorage.setItem("guildhall.status", status);
  setState((s) => ({ ...s, status }));
  gateway?.setStatus(status);
}

/** Resolves once the gateway delivered `guildId`'s GUILD_CREATE (or after `ms`). */
export function waitForGuild(guildId: Snowflake, ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (getState().guilds[guildId]) return resolve();
    const started = Date.now();
    const timer = setInterval(() => {
      if (getState().guilds[guildId] || Date.now() - started > ms) {
        clearInterval(timer);
        resolve();
      }
    }, 25);
  });
}

const PAGE = 50;

/** Loads the page of history before the oldest message held (the first page when none). */
export async function loadOlder(channelId: Snowflake) {
  const entry = getState().messages[channelId];
  if (entry?.loading || (entry && !entry.hasMore)) return;
  const before = entry?.list.find((m) => !m.pending)?.id;
  setState((s) => ({
    ...s,
    messages: { ...s.messages, [channelId]: { list: entry?.list ?? [], hasMore: true, loading: true } },
  }));
  try {
    const page = await api.messages(channelId, { before, limit: PAGE });
    setState((s) => {
      const current = s.messages[channelId] ?? { list: [], hasMore: true, loading: true };
      let list = current.list;
      for (const m of page) list = upsertMessage(list, m);
      return { ...s, messages: { ...s.messages, [channelId]: { list, hasMore: page.length === PAGE, loading: false } } };
    });
  } catch (error) {
    setState((s) => ({
      ...s,
      messages: { ...s.messages, [channelId]: { list: s.messages[channelId]?.list ?? [], hasMore: false, loading: false } },
    }));
    throw error;
  }
}

export async function sendMessage(channelId: Snowflake, content: string, replyTo?: Message) {
  const me = getState().me;
  if (!me) return;
  const nonce = String(Date.now()) + String(Math.floor(Math.random() * 1000)).padStart(3, "0");
  const pending: Message = {
    id: `pending-${nonce}`,
    nonce,
    pending: true,
    channel_id: channelId,
    author: me,
    content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    pinned: false,
    type: replyTo ? 19 : 0,
    referenced_message: replyTo ?? null,
    message_reference: replyTo ? { message_id: replyTo.id } : undefined,
  };
  const apply = (f: (list: Message[]) => Message[]) =>
    setState((s) => {
      const entry = s.messages[channelId];
      if (!entry) return s;
      return { ...s, messages: { ...s.messages, [channelId]: { ...entry, list: f(entry.list) } } };
    });
  apply((list) => [...list, pending]);
  try {
    const sent = await api.sendMessage(channelId, {
      content,
      nonce,
      message_reference: replyTo ? { message_id: replyTo.id } : undefined,
    });
    // The gateway's MESSAGE_CREATE may have landed first; either way one copy remains.
    apply((list) => upsertMessage(list.filter((m) => m.nonce !== nonce || !m.pending), { ...sent, nonce }));
  } catch (error) {
    apply((list) => list.filter((m) => m.id !== pending.id));
    throw error;
  }
}

let lastTyping = 0;

/** POST /typing at most every 8 s while the user types (Discord's client cadence). */
export function typing(channelId: Snowflake) {
  const now = Date.now();
  if (now - lastTyping < 8000) return;
  lastTyping = now;
  api.typing(channelId).catch(() => {});
}

export function resetTypingThrottle() {
  lastTyping = 0;
}
