// The client's state: what the gateway said (guilds, channels, roles, members, presences,
// messages, typing), updated immutably per dispatch so React re-renders only what changed.
// Components read it with `useStore(selector)`; actions live in `actions.ts`.
import { useSyncExternalStore } from "react";
import type { Channel, Emoji, Guild, Member, Message, Role, Snowflake, Status, User, VoiceState } from "./types";

export interface GuildState {
  guild: Guild;
  channels: Record<Snowflake, Channel>;
  members: Record<Snowflake, Member>;
  presences: Record<Snowflake, Status>;
  /** Who is in which voice channel, by user. */
  voice: Record<Snowflake, VoiceState>;
}

export interface ChannelMessages {
  /** Oldest first. */
  list: Message[];
  /** Whether older messages may exist on the server. */
  hasMore: boolean;
  loading: boolean;
}

export interface State {
  me: User | null;
  guildOrder: Snowflake[];
  guilds: Record<Snowflake, GuildState>;
  messages: Record<Snowflake, ChannelMessages>;
  /** channel → the newest message id the user has seen there (read state, this browser only). */
  lastRead: Record<Snowflake, Snowflake>;
  /** channel → user → typing expiry (ms since epoch). */
  typing: Record<Snowflake, Record<Snowflake, number>>;
  connection: "connecting" | "ready" | "resuming" | "disconnected";
  status: Status;
}

const initial: State = {
  me: null,
  guildOrder: [],
  guilds: {},
  messages: {},
  lastRead: readLastRead(),
  typing: {},
  connection: "connecting",
  status: (globalThis.localStorage?.getItem("guildhall.status") as Status | null) || "online",
};

function readLastRead(): Record<Snowflake, Snowflake> {
  try {
    return JSON.parse(globalThis.localStorage?.getItem("guildhall.lastRead") ?? "{}") ?? {};
  } catch {
    return {};
  }
}

/** Marks `channelId` read up to `messageId` (kept in local storage across reloads). */
export function markRead(channelId: Snowflake, messageId: Snowflake | null | undefined) {
  if (!messageId || messageId.startsWith("pending-")) return;
  const current = state.lastRead[channelId];
  if (current && compareIds(current, messageId) >= 0) return;
  setState((s) => ({ ...s, lastRead: { ...s.lastRead, [channelId]: messageId } }));
  globalThis.localStorage?.setItem("guildhall.lastRead", JSON.stringify(state.lastRead));
}

let state: State = initial;
const listeners = new Set<() => void>();

export function getState(): State {
  return state;
}

export function setState(update: (s: State) => State) {
  const next = update(state);
  if (next !== state) {
    state = next;
    for (const l of listeners) l();
  }
}

export function resetState() {
  state = { ...initial, status: state.status, lastRead: readLastRead() };
  for (const l of listeners) l();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useStore<T>(selector: (s: State) => T): T {
  return useSyncExternalStore(subscribe, () => selector(state));
}

// ---- updates applied by gateway dispatches ----

function updateGuild(s: State, guildId: Snowflake | undefined, f: (g: GuildState) => GuildState): State {
  const g = guildId ? s.guilds[guildId] : undefined;
  if (!g || !guildId) return s;
  return { ...s, guilds: { ...s.guilds, [guildId]: f(g) } };
}

function updateMessages(s: State, channelId: Snowflake, f: (list: Message[]) => Message[]): State {
  const entry = s.messages[channelId];
  if (!entry) return s;
  const list = f(entry.list);
  if (list === entry.list) return s;
  return { ...s, messages: { ...s.messages, [channelId]: { ...entry, list } } };
}

function byId<T extends { id: Snowflake }>(items: T[] | undefined): Record<Snowflake, T> {
  const out: Record<Snowflake, T> = {};
  for (const item of items ?? []) out[item.id] = item;
  return out;
}

function sameEmoji(a: Emoji, b: Emoji): boolean {
  return a.id ? a.id === b.id : a.name === b.name;
}

function reactionChange(message: Message, emoji: Emoji, delta: 1 | -1, mine: boolean): Message {
  const reactions = [...(message.reactions ?? [])];
  const index = reactions.findIndex((r) => sameEmoji(r.emoji, emoji));
  if (index === -1) {
    if (delta < 0) return message;
    reactions.push({ emoji, count: 1, me: mine });
  } else {
    const r = reactions[index];
    const count = r.count + delta;
    if (count <= 0) reactions.splice(index, 1);
    else reactions[index] = { ...r, count, me: mine ? delta > 0 : r.me };
  }
  return { ...message, reactions };
}

/** Inserts or replaces `message` keeping id order (a pending message with its nonce is replaced). */
export function upsertMessage(list: Message[], message: Message): Message[] {
  const existing = list.findIndex((m) => m.id === message.id || (message.nonce && m.pending && m.nonce === message.nonce));
  const next = [...list];
  if (existing !== -1) next[existing] = { ...list[existing], ...message, pending: false };
  else next.push(message);
  // Snowflakes of equal length compare as strings; pending messages stay last, in send order.
  return next.sort((a, b) => (Boolean(a.pending) !== Boolean(b.pending) ? (a.pending ? 1 : -1) : a.pending ? 0 : compareIds(a.id, b.id)));
}

export function compareIds(a: Snowflake, b: Snowflake): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

export function applyDispatch(s: State, name: string, d: any): State {
  switch (name) {
    case "READY": {
      const guilds: Record<Snowflake, GuildState> = {};
      for (const g of d.guilds as { id: Snowflake }[]) {
        const known = s.guilds[g.id];
        if (known) guilds[g.id] = known;
      }
      // A new session (not a RESUME): anything missed while disconnected is not replayed, so
      // loaded history is dropped and reloads when a channel is opened.
      return { ...s, me: d.user, guildOrder: d.guilds.map((g: { id: Snowflake }) => g.id), guilds, messages: {}, typing: {} };
    }
    case "USER_UPDATE":
      return { ...s, me: { ...s.me, ...d } };
    case "GUILD_CREATE": {
      const guild: Guild = d;
      const presences: Record<Snowflake, Status> = {};
      for (const p of guild.presences ?? []) presences[p.user.id] = p.status;
      const members: Record<Snowflake, Member> = {};
      for (const m of guild.members ?? []) members[m.user.id] = m;
      const voice: Record<Snowflake, VoiceState> = {};
      for (const v of guild.voice_states ?? []) if (v.channel_id) voice[v.user_id] = v;
      const order = s.guildOrder.includes(guild.id) ? s.guildOrder : [...s.guildOrder, guild.id];
      return {
        ...s,
        guildOrder: order,
        guilds: {
          ...s.guilds,
          [guild.id]: {
            guild: { ...guild, channels: undefined, members: undefined, presences: undefined, voice_states: undefined },
            channels: byId(guild.channels),
            members,
            presences,
            voice,
          },
        },
      };
    }
    case "GUILD_UPDATE":
      return updateGuild(s, d.id, (g) => ({ ...g, guild: { ...g.guild, ...d, roles: d.roles ?? g.guild.roles } }));
    case "GUILD_DELETE": {
      const guilds = { ...s.guilds };
      delete guilds[d.id];
      return { ...s, guilds, guildOrder: s.guildOrder.filter((id) => id !== d.id) };
    }
    case "GUILD_ROLE_CREATE":
    case "GUILD_ROLE_UPDATE":
      return updateGuild(s, d.guild_id, (g) => {
        const role: Role = d.role;
        const roles = g.guild.roles.some((r) => r.id === role.id)
          ? g.guild.roles.map((r) => (r.id === role.id ? role : r))
          : [...g.guild.roles, role];
        return { ...g, guild: { ...g.guild, roles } };
      });
    case "GUILD_ROLE_DELETE":
      return updateGuild(s, d.guild_id, (g) => ({
        ...g,
        guild: { ...g.guild, roles: g.guild.roles.filter((r) => r.id !== d.role_id) },
      }));
    case "CHANNEL_CREATE":
    case "CHANNEL_UPDATE":
      return updateGuild(s, d.guild_id, (g) => ({ ...g, channels: { ...g.channels, [d.id]: d } }));
    case "CHANNEL_DELETE": {
      const next = updateGuild(s, d.guild_id, (g) => {
        const channels = { ...g.channels };
        delete channels[d.id];
        return { ...g, channels };
      });
      const messages = { ...next.messages };
      delete messages[d.id];
      return { ...next, messages };
    }
    case "GUILD_MEMBER_ADD":
    case "GUILD_MEMBER_UPDATE":
      return updateGuild(s, d.guild_id, (g) => ({
        ...g,
        members: { ...g.members, [d.user.id]: { ...g.members[d.user.id], ...d } },
        guild: name === "GUILD_MEMBER_ADD" ? { ...g.guild, member_count: (g.guild.member_count ?? 0) + 1 } : g.guild,
      }));
    case "GUILD_MEMBER_REMOVE":
      return updateGuild(s, d.guild_id, (g) => {
        const members = { ...g.members };
        delete members[d.user.id];
        return { ...g, members, guild: { ...g.guild, member_count: Math.max(0, (g.guild.member_count ?? 1) - 1) } };
      });
    case "GUILD_MEMBERS_CHUNK":
      return updateGuild(s, d.guild_id, (g) => {
        const members = { ...g.members };
        for (const m of d.members as Member[]) members[m.user.id] = m;
        const presences = { ...g.presences };
        for (const p of d.presences ?? []) presences[p.user.id] = p.status;
        return { ...g, members, presences };
      });
    case "VOICE_STATE_UPDATE":
      return updateGuild(s, d.guild_id, (g) => {
        const voice = { ...g.voice };
        if (d.channel_id) voice[d.user_id] = d;
        else delete voice[d.user_id];
        // The member object names a voice user who is not in the member list yet.
        const members = d.member?.user && !g.members[d.user_id] ? { ...g.members, [d.user_id]: d.member } : g.members;
        return { ...g, voice, members };
      });
    case "PRESENCE_UPDATE":
      return updateGuild(s, d.guild_id, (g) => ({ ...g, presences: { ...g.presences, [d.user.id]: d.status } }));
    case "MESSAGE_CREATE": {
      let next = updateMessages(s, d.channel_id, (list) => upsertMessage(list, d));
      next = updateGuild(next, d.guild_id, (g) => {
        const channel = g.channels[d.channel_id];
        return channel ? { ...g, channels: { ...g.channels, [channel.id]: { ...channel, last_message_id: d.id } } } : g;
      });
      // A message ends its author's typing indicator, as in Discord.
      const typing = next.typing[d.channel_id];
      if (typing?.[d.author.id]) {
        const rest = { ...typing };
        delete rest[d.author.id];
        next = { ...next, typing: { ...next.typing, [d.channel_id]: rest } };
      }
      return next;
    }
    case "MESSAGE_UPDATE":
      return updateMessages(s, d.channel_id, (list) =>
        list.some((m) => m.id === d.id) ? list.map((m) => (m.id === d.id ? { ...m, ...d } : m)) : list,
      );
    case "MESSAGE_DELETE":
      return updateMessages(s, d.channel_id, (list) => list.filter((m) => m.id !== d.id));
    case "MESSAGE_DELETE_BULK":
      return updateMessages(s, d.channel_id, (list) => list.filter((m) => !d.ids.includes(m.id)));
    case "MESSAGE_REACTION_ADD":
    case "MESSAGE_REACTION_REMOVE": {
      const mine = d.user_id === s.me?.id;
      const delta = name === "MESSAGE_REACTION_ADD" ? 1 : -1;
      return updateMessages(s, d.channel_id, (list) =>
        list.map((m) => (m.id === d.message_id ? reactionChange(m, d.emoji, delta, mine) : m)),
      );
    }
    case "MESSAGE_REACTION_REMOVE_ALL":
      return updateMessages(s, d.channel_id, (list) =>
        list.map((m) => (m.id === d.message_id ? { ...m, reactions: [] } : m)),
      );
    case "MESSAGE_REACTION_REMOVE_EMOJI":
      return updateMessages(s, d.channel_id, (list) =>
        list.map((m) =>
          m.id === d.message_id ? { ...m, reactions: (m.reactions ?? []).filter((r) => !sameEmoji(r.emoji, d.emoji)) } : m,
        ),
      );
    case "TYPING_START": {
      if (d.user_id === s.me?.id) return s;
      const channel = { ...(s.typing[d.channel_id] ?? {}), [d.user_id]: Date.now() + 10_000 };
      let next: State = { ...s, typing: { ...s.typing, [d.channel_id]: channel } };
      // The member object carries the typist's name when they are not in the member list yet.
      if (d.member?.user) {
        next = updateGuild(next, d.guild_id, (g) =>
          g.members[d.user_id] ? g : { ...g, members: { ...g.members, [d.user_id]: d.member } },
        );
      }
      return next;
    }
    default:
      return s;
  }
}
