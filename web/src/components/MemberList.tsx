import { useMemo, useState } from "react";
import { colorOf, sortedRoles } from "../hooks";
import type { GuildState } from "../store";
import { displayName, type Member, type Role } from "../types";
import { MemberMenu } from "../admin/MemberMenu";
import { Avatar } from "./Avatar";

interface Group {
  key: string;
  title: string;
  members: Member[];
}

/** Online members under their highest hoisted role (else "Online"), then everyone offline. */
export function groupMembers(guild: GuildState): Group[] {
  const roles = sortedRoles(guild.guild.roles);
  const hoisted = roles.filter((r) => r.hoist && r.id !== guild.guild.id);
  const groups = new Map<string, Group>();
  for (const r of hoisted) groups.set(r.id, { key: r.id, title: r.name, members: [] });
  const online: Group = { key: "online", title: "Online", members: [] };
  const offline: Group = { key: "offline", title: "Offline", members: [] };
  for (const m of Object.values(guild.members)) {
    const status = guild.presences[m.user.id] ?? "offline";
    if (status === "offline" || status === "invisible") {
      offline.members.push(m);
      continue;
    }
    const top = hoisted.find((r) => m.roles.includes(r.id));
    (top ? groups.get(top.id) : undefined)?.members.push(m) ?? online.members.push(m);
  }
  const byName = (a: Member, b: Member) => displayName(a.user, a).localeCompare(displayName(b.user, b));
  return [...groups.values(), online, offline]
    .filter((g) => g.members.length > 0)
    .map((g) => ({ ...g, members: g.members.sort(byName) }));
}

export function MemberList({ guild }: { guild: GuildState }) {
  const groups = useMemo(() => groupMembers(guild), [guild]);
  const roles = useMemo(() => sortedRoles(guild.guild.roles), [guild.guild.roles]);
  const [menu, setMenu] = useState<{ userId: string; top: number } | null>(null);
  return (
    <aside className="member-list" data-testid="member-list" aria-label="Members">
      {groups.map((group) => (
        <section key={group.key} className="member-group" data-testid="member-group" data-group={group.key}>
          <h3>
            {group.title} — {group.members.length}
          </h3>
          {group.members.map((m) => {
            const status = guild.presences[m.user.id] ?? "offline";
            return (
              <button
                key={m.user.id}
                className={`member-item ${status === "offline" ? "offline" : ""}`}
                data-testid="member-item"
                data-user-id={m.user.id}
                data-status={status}
                onClick={(e) => {
                  const box = e.currentTarget.getBoundingClientRect();
                  setMenu(menu?.userId === m.user.id ? null : { userId: m.user.id, top: Math.min(box.top, innerHeight - 420) });
                }}
              >
                <Avatar user={m.user} status={status} />
                <span className="member-name" style={{ color: topColor(roles, m) }}>
                  {displayName(m.user, m)}
                </span>
                {m.user.bot && <span className="bot-tag">BOT</span>}
              </button>
            );
          })}
        </section>
      ))}
      {menu && (
        <div className="member-menu-anchor" style={{ top: Math.max(8, menu.top) }}>
          <MemberMenu guild={guild} userId={menu.userId} onClose={() => setMenu(null)} />
        </div>
      )}
    </aside>
  );
}

function topColor(roles: Role[], member: Member): string | undefined {
  return colorOf(roles.find((r) => member.roles.includes(r.id) && r.color));
}
