// The slices of Discord's v10 objects the client reads (protocol.md §2). Ids are snowflake
// strings, as on the wire; never parse them into numbers (they exceed 2^53).

export type Snowflake = string;

export interface User {
  id: Snowflake;
  username: string;
  global_name?: string | null;
  discriminator?: string;
  avatar?: string | null;
  bot?: boolean;
}

export interface Role {
  id: Snowflake;
  name: string;
  color: number;
  hoist: boolean;
  position: number;
  permissions: string;
  managed?: boolean;
  mentionable?: boolean;
}

export interface Overwrite {
  id: Snowflake;
  /** 0 = role, 1 = member */
  type: 0 | 1;
  allow: string;
  deny: string;
}

export const ChannelType = {
  GuildText: 0,
  DM: 1,
  GuildVoice: 2,
  GuildCategory: 4,
  GuildAnnouncement: 5,
  GuildStageVoice: 13,
} as const;

export interface Channel {
  id: Snowflake;
  type: number;
  guild_id?: Snowflake;
  name?: string;
  topic?: string | null;
  position?: number;
  parent_id?: Snowflake | null;
  permission_overwrites?: Overwrite[];
  last_message_id?: Snowflake | null;
}

export interface Member {
  user: User;
  nick?: string | null;
  roles: Snowflake[];
  joined_at?: string;
}

export type Status = "online" | "idle" | "dnd" | "offline" | "invisible";

export interface Presence {
  user: { id: Snowflake };
  status: Status;
  guild_id?: Snowflake;
}

export interface Guild {
  id: Snowflake;
  name: string;
  icon?: string | null;
  owner_id: Snowflake;
  roles: Role[];
  channels?: Channel[];
  members?: Member[];
  presences?: Presence[];
  voice_states?: VoiceState[];
  member_count?: number;
  unavailable?: boolean;
}

export interface Emoji {
  id: Snowflake | null;
  name: string | null;
}

export interface Reaction {
  count: number;
  me: boolean;
  emoji: Emoji;
}

export interface MessageReference {
  message_id?: Snowflake;
  channel_id?: Snowflake;
  guild_id?: Snowflake;
}

export interface Attachment {
  id: Snowflake;
  filename: string;
  url: string;
  size: number;
  content_type?: string;
}

export interface Message {
  id: Snowflake;
  channel_id: Snowflake;
  guild_id?: Snowflake;
  author: User;
  member?: Partial<Member>;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  pinned: boolean;
  type: number;
  mentions?: User[];
  mention_everyone?: boolean;
  mention_roles?: Snowflake[];
  reactions?: Reaction[];
  attachments?: Attachment[];
  message_reference?: MessageReference;
  referenced_message?: Message | null;
  /** Client-side only: a message being sent (nonce) that the server has not echoed yet. */
  pending?: boolean;
  nonce?: string;
}

export interface VoiceState {
  guild_id?: Snowflake;
  channel_id: Snowflake | null;
  user_id: Snowflake;
  member?: Member;
  mute: boolean;
  deaf: boolean;
  self_mute: boolean;
  self_deaf: boolean;
  self_video?: boolean;
  self_stream?: boolean;
}

export interface Invite {
  code: string;
  guild?: { id: Snowflake; name: string };
  channel?: { id: Snowflake; name?: string; type: number } | null;
  inviter?: User;
  approximate_member_count?: number;
  approximate_presence_count?: number;
}

export interface ReadyEvent {
  v: number;
  user: User;
  guilds: { id: Snowflake; unavailable?: boolean }[];
  session_id: string;
  resume_gateway_url: string;
}

export function displayName(user: User, member?: Partial<Member> | null): string {
  return member?.nick || user.global_name || user.username;
}
