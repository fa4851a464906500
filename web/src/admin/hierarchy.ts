// Discord's role hierarchy (protocol.md §4), as the admin screens need it to decide which
// controls to enable. The server enforces the same rules; these only avoid offering actions
// that would fail with 50013 Missing Permissions.
import { useEffect, useMemo } from "react";
import { sortedRoles, useGuildPermissions } from "../hooks";
import { has, P } from "../permissions";
import { useStore, type GuildState } from "../store";
import { displayName, type Member, type Role, type Snowflake, type User } from "../types";

export interface Viewer {
  id: Snowflake | null;
  owner: boolean;
  perms: bigint;
  /** Rank of the viewer's highest role (greater is higher; @everyone is 0). */
  top: number;
  /** Role id → rank, from Discord's ordering (position, then id). */
  rank: Map<Snowflake, number>;
}

export function roleRanks(roles: Role[]): Map<Snowflake, number> {
  const sorted = sortedRoles(roles);
  return new Map(sorted.map((role, index) => [role.id, sorted.length - 1 - index]));
}

export function topRank(rank: Map<Snowflake, number>, roleIds: Snowflake[]): number {
  let top = 0;
  for (const id of roleIds) top = Math.max(top, rank.get(id) ?? 0);
  return top;
}

export function useViewer(g: GuildState): Viewer {
  const me = useStore((s) => s.me);
  const perms = useGuildPermissions(g);
  return useMemo(() => {
    const rank = roleRanks(g.guild.roles);
    const id = me?.id ?? null;
    const roles = id ? g.members[id]?.roles ?? [] : [];
    return { id, owner: id !== null && g.guild.owner_id === id, perms, top: topRank(rank, roles), rank };
  }, [g, me, perms]);
}

/** Whether the viewer may edit `role` (and assign or remove it). @everyone: permissions only, never assigned. */
export function canManageRole(v: Viewer, role: Role, guildId: Snowflake): boolean {
  if (role.managed) return false;
  if (v.owner) return true;
  if (!has(v.perms, P.MANAGE_ROLES)) return false;
  if (role.id === guildId) return true;
  return (v.rank.get(role.id) ?? 0) < v.top;
}

/** Roles the viewer may give to or take from members, highest first (never @everyone). */
export function assignableRoles(v: Viewer, g: GuildState): Role[] {
  return sortedRoles(g.guild.roles).filter((r) => r.id !== g.guild.id && canManageRole(v, r, g.guild.id));
}

/** Whether the viewer may kick/ban `userId`: not themselves, not the owner, target strictly below. */
export function canModerate(v: Viewer, g: GuildState, userId: Snowflake, flag: bigint): boolean {
  if (!v.id || userId === v.id || userId === g.guild.owner_id) return false;
  if (!has(v.perms, flag)) return false;
  if (v.owner) return true;
  const target = g.members[userId];
  return topRank(v.rank, target?.roles ?? []) < v.top;
}

export function memberName(member: Member | undefined, user?: User): string {
  const u = member?.user ?? user;
  return u ? displayName(u, member) : "Unknown member";
}

/** The member's roles, highest first. */
export function memberRoles(g: GuildState, member: Member | undefined): Role[] {
  if (!member) return [];
  return sortedRoles(g.guild.roles.filter((r) => member.roles.includes(r.id)));
}

export function hexColor(color: number): string {
  return `#${color.toString(16).padStart(6, "0")}`;
}

/**
 * While `active`, Escape runs `onEscape` and goes no further, so a dropdown or a confirmation
 * inside a Modal closes alone instead of the Modal's window listener closing everything.
 */
export function useEscape(active: boolean, onEscape: () => void) {
  useEffect(() => {
    if (!active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      onEscape();
    };
    document.addEventListener("keydown", onKey, true);
    return () => document.removeEventListener("keydown", onKey, true);
  }, [active, onEscape]);
}
