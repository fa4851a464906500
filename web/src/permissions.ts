// Permission bits and Discord's computation (protocol.md §4): base from @everyone and the
// member's roles, ADMINISTRATOR and the owner get everything, then channel overwrites in order
// @everyone, roles (allow and deny merged), member. The server enforces all of this; the client
// computes it only to hide controls the user cannot use.
import type { Channel, Guild, Snowflake } from "./types";

export const P = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  KICK_MEMBERS: 1n << 1n,
  BAN_MEMBERS: 1n << 2n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_CHANNELS: 1n << 4n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  MUTE_MEMBERS: 1n << 22n,
  DEAFEN_MEMBERS: 1n << 23n,
  MOVE_MEMBERS: 1n << 24n,
  CHANGE_NICKNAME: 1n << 26n,
  MANAGE_NICKNAMES: 1n << 27n,
  MANAGE_ROLES: 1n << 28n,
  MANAGE_WEBHOOKS: 1n << 29n,
  PIN_MESSAGES: 1n << 51n,
} as const;

export type PermissionName = keyof typeof P;

/** The permissions offered in the role and channel editors, with Discord's labels. */
export const EDITABLE: { name: PermissionName; label: string; channel: boolean }[] = [
  { name: "ADMINISTRATOR", label: "Administrator", channel: false },
  { name: "MANAGE_GUILD", label: "Manage Server", channel: false },
  { name: "MANAGE_ROLES", label: "Manage Roles", channel: true },
  { name: "MANAGE_CHANNELS", label: "Manage Channels", channel: true },
  { name: "KICK_MEMBERS", label: "Kick Members", channel: false },
  { name: "BAN_MEMBERS", label: "Ban Members", channel: false },
  { name: "CREATE_INSTANT_INVITE", label: "Create Invite", channel: true },
  { name: "VIEW_CHANNEL", label: "View Channels", channel: true },
  { name: "SEND_MESSAGES", label: "Send Messages", channel: true },
  { name: "MANAGE_MESSAGES", label: "Manage Messages", channel: true },
  { name: "PIN_MESSAGES", label: "Pin Messages", channel: true },
  { name: "ADD_REACTIONS", label: "Add Reactions", channel: true },
  { name: "READ_MESSAGE_HISTORY", label: "Read Message History", channel: true },
  { name: "MENTION_EVERYONE", label: "Mention @everyone", channel: true },
  { name: "CONNECT", label: "Connect", channel: true },
  { name: "SPEAK", label: "Speak", channel: true },
];

export const ALL = (1n << 53n) - 1n;

export function has(bits: bigint, flag: bigint): boolean {
  return (bits & P.ADMINISTRATOR) === P.ADMINISTRATOR || (bits & flag) === flag;
}

export function guildPermissions(guild: Guild, userId: Snowflake, memberRoles: Snowflake[]): bigint {
  if (guild.owner_id === userId) return ALL;
  let bits = 0n;
  for (const role of guild.roles) {
    if (role.id === guild.id || memberRoles.includes(role.id)) bits |= BigInt(role.permissions);
  }
  return bits & P.ADMINISTRATOR ? ALL : bits;
}

export function channelPermissions(
  guild: Guild,
  channel: Channel,
  userId: Snowflake,
  memberRoles: Snowflake[],
): bigint {
  let bits = guildPermissions(guild, userId, memberRoles);
  if (bits === ALL) return ALL;
  const overwrites = channel.permission_overwrites ?? [];
  const everyone = overwrites.find((o) => o.id === guild.id);
  if (everyone) bits = (bits & ~BigInt(everyone.deny)) | BigInt(everyone.allow);
  let allow = 0n;
  let deny = 0n;
  for (const o of overwrites) {
    if (o.type === 0 && o.id !== guild.id && memberRoles.includes(o.id)) {
      allow |= BigInt(o.allow);
      deny |= BigInt(o.deny);
    }
  }
  bits = (bits & ~deny) | allow;
  const member = overwrites.find((o) => o.type === 1 && o.id === userId);
  if (member) bits = (bits & ~BigInt(member.deny)) | BigInt(member.allow);
  return bits;
}
