import { useMemo } from "react";
import { channelPermissions, guildPermissions } from "./permissions";
import { useStore, type GuildState } from "./store";
import { ApiError } from "./api";
import type { Channel, Role } from "./types";

export function useGuild(guildId: string | null): GuildState | undefined {
  return useStore((s) => (guildId ? s.guilds[guildId] : undefined));
}

/** The current user's guild-level permissions (0 when unknown). */
export function useGuildPermissions(g: GuildState | undefined): bigint {
  const me = useStore((s) => s.me);
  return useMemo(() => {
    if (!g || !me) return 0n;
    return guildPermissions(g.guild, me.id, g.members[me.id]?.roles ?? []);
  }, [g, me]);
}

/** `userId`'s permissions in `channel` of guild `g`, with the member's roles as the client knows them. */
export function permissionsIn(g: GuildState, channel: Channel, userId: string): bigint {
  return channelPermissions(g.guild, channel, userId, g.members[userId]?.roles ?? []);
}

export function useChannelPermissions(g: GuildState | undefined, channel: Channel | undefined): bigint {
  const me = useStore((s) => s.me);
  return useMemo(() => (g && me && channel ? permissionsIn(g, channel, me.id) : 0n), [g, me, channel]);
}

/** Roles highest first (position, then id), as Discord lists them. */
export function sortedRoles(roles: Role[]): Role[] {
  return [...roles].sort((a, b) => b.position - a.position || (a.id < b.id ? -1 : 1));
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.fieldMessage();
  return error instanceof Error ? error.message : String(error);
}

export function colorOf(role: Role | undefined): string | undefined {
  return role && role.color ? `#${role.color.toString(16).padStart(6, "0")}` : undefined;
}
