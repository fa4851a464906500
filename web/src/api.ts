// REST v10 client: the same public API bots use, with the user token in Authorization.
import type { Channel, Guild, Invite, Member, Message, Overwrite, Role, Snowflake, User } from "./types";

const BASE = "/api/v10";

/** Discord's error body: `{ code, message, errors? }` with the HTTP status beside it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly errors?: unknown,
  ) {
    super(message);
  }

  /** The first field error's message, if the body carried any (form validation). */
  fieldMessage(): string {
    const walk = (node: unknown): string | undefined => {
      if (!node || typeof node !== "object") return undefined;
      const errs = (node as { _errors?: { message: string }[] })._errors;
      if (Array.isArray(errs) && errs[0]) return errs[0].message;
      for (const value of Object.values(node)) {
        const found = walk(value);
        if (found) return found;
      }
      return undefined;
    };
    return walk(this.errors) ?? this.message;
  }
}

let token: string | null = null;

export function setToken(value: string | null) {
  token = value;
}

async function request<T>(method: string, path: string, body?: unknown, reason?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (reason) headers["X-Audit-Log-Reason"] = encodeURIComponent(reason);
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 429 && attempt < 3) {
      // Honour the bucket's reset like every Discord library does, then retry.
      const data = await response.json().catch(() => ({}));
      const wait = Number(data.retry_after ?? response.headers.get("Retry-After") ?? 1);
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 10) * 1000));
      continue;
    }
    if (response.status === 204) return undefined as T;
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      throw new ApiError(response.status, data?.code ?? 0, data?.message ?? response.statusText, data?.errors);
    }
    return data as T;
  }
}

export interface Session {
  token: string;
  user_id: Snowflake;
}

const enc = encodeURIComponent;

export const api = {
  register: (username: string, password: string) =>
    request<Session>("POST", "/auth/register", { username, password }),
  login: (login: string, password: string) => request<Session>("POST", "/auth/login", { login, password }),
  me: () => request<User>("GET", "/users/@me"),

  createGuild: (name: string) => request<Guild>("POST", "/guilds", { name }),
  editGuild: (guildId: Snowflake, body: { name?: string }) => request<Guild>("PATCH", `/guilds/${guildId}`, body),
  /** Discord's OAuth2 authorize with the `bot` scope: adds an application's bot to a guild. */
  authorizeBot: (clientId: Snowflake, guildId: Snowflake, permissions = "0") =>
    request<{ location: string }>("POST", `/oauth2/authorize?client_id=${enc(clientId)}&scope=bot`, {
      guild_id: guildId,
      permissions,
      authorize: true,
    }),
  deleteGuild: (guildId: Snowflake) => request<void>("DELETE", `/guilds/${guildId}`),
  leaveGuild: (guildId: Snowflake) => request<void>("DELETE", `/users/@me/guilds/${guildId}`),

  createChannel: (guildId: Snowflake, body: { name: string; type: number; parent_id?: Snowflake | null }) =>
    request<Channel>("POST", `/guilds/${guildId}/channels`, body),
  editChannel: (channelId: Snowflake, body: Partial<Channel>) =>
    request<Channel>("PATCH", `/channels/${channelId}`, body),
  deleteChannel: (channelId: Snowflake) => request<Channel>("DELETE", `/channels/${channelId}`),
  putOverwrite: (channelId: Snowflake, overwrite: Overwrite) =>
    request<void>("PUT", `/channels/${channelId}/permissions/${overwrite.id}`, {
      type: overwrite.type,
      allow: overwrite.allow,
      deny: overwrite.deny,
    }),
  deleteOverwrite: (channelId: Snowflake, targetId: Snowflake) =>
    request<void>("DELETE", `/channels/${channelId}/permissions/${targetId}`),

  messages: (channelId: Snowflake, query: { before?: Snowflake; limit?: number }) => {
    const params = new URLSearchParams();
    if (query.before) params.set("before", query.before);
    params.set("limit", String(query.limit ?? 50));
    return request<Message[]>("GET", `/channels/${channelId}/messages?${params}`);
  },
  sendMessage: (channelId: Snowflake, body: { content: string; nonce?: string; message_reference?: { message_id: Snowflake } }) =>
    request<Message>("POST", `/channels/${channelId}/messages`, body),
  editMessage: (channelId: Snowflake, messageId: Snowflake, content: string) =>
    request<Message>("PATCH", `/channels/${channelId}/messages/${messageId}`, { content }),
  deleteMessage: (channelId: Snowflake, messageId: Snowflake) =>
    request<void>("DELETE", `/channels/${channelId}/messages/${messageId}`),
  addReaction: (channelId: Snowflake, messageId: Snowflake, emoji: string) =>
    request<void>("PUT", `/channels/${channelId}/messages/${messageId}/reactions/${enc(emoji)}/@me`),
  removeReaction: (channelId: Snowflake, messageId: Snowflake, emoji: string) =>
    request<void>("DELETE", `/channels/${channelId}/messages/${messageId}/reactions/${enc(emoji)}/@me`),
  pins: (channelId: Snowflake) => request<Message[]>("GET", `/channels/${channelId}/pins`),
  pin: (channelId: Snowflake, messageId: Snowflake) => request<void>("PUT", `/channels/${channelId}/pins/${messageId}`),
  unpin: (channelId: Snowflake, messageId: Snowflake) =>
    request<void>("DELETE", `/channels/${channelId}/pins/${messageId}`),
  typing: (channelId: Snowflake) => request<void>("POST", `/channels/${channelId}/typing`),

  createInvite: (channelId: Snowflake) =>
    request<Invite>("POST", `/channels/${channelId}/invites`, { max_age: 86400, max_uses: 0 }),
  invite: (code: string) => request<Invite>("GET", `/invites/${enc(code)}?with_counts=true`),
  acceptInvite: (code: string) => request<Invite>("POST", `/invites/${enc(code)}`),

  createRole: (guildId: Snowflake, body: Partial<Role>) => request<Role>("POST", `/guilds/${guildId}/roles`, body),
  editRole: (guildId: Snowflake, roleId: Snowflake, body: Partial<Role>) =>
    request<Role>("PATCH", `/guilds/${guildId}/roles/${roleId}`, body),
  deleteRole: (guildId: Snowflake, roleId: Snowflake) => request<void>("DELETE", `/guilds/${guildId}/roles/${roleId}`),
  addMemberRole: (guildId: Snowflake, userId: Snowflake, roleId: Snowflake) =>
    request<void>("PUT", `/guilds/${guildId}/members/${userId}/roles/${roleId}`),
  removeMemberRole: (guildId: Snowflake, userId: Snowflake, roleId: Snowflake) =>
    request<void>("DELETE", `/guilds/${guildId}/members/${userId}/roles/${roleId}`),
  members: (guildId: Snowflake, after?: Snowflake) =>
    request<Member[]>("GET", `/guilds/${guildId}/members?limit=1000${after ? `&after=${after}` : ""}`),
  kick: (guildId: Snowflake, userId: Snowflake, reason?: string) =>
    request<void>("DELETE", `/guilds/${guildId}/members/${userId}`, undefined, reason),
  ban: (guildId: Snowflake, userId: Snowflake, reason?: string) =>
    request<void>("PUT", `/guilds/${guildId}/bans/${userId}`, { delete_message_seconds: 0 }, reason),
  unban: (guildId: Snowflake, userId: Snowflake) => request<void>("DELETE", `/guilds/${guildId}/bans/${userId}`),
  bans: (guildId: Snowflake) => request<{ user: User; reason: string | null }[]>("GET", `/guilds/${guildId}/bans`),
};
