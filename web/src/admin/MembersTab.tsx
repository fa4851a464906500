// Server Settings' Members tab (role menus, kick, ban) and Bans tab (list, revoke).
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api } from "../api";
import { errorMessage } from "../hooks";
import { has, P } from "../permissions";
import type { GuildState } from "../store";
import type { Snowflake, User } from "../types";
import { Avatar } from "../components/Avatar";
import { ErrorText } from "../components/Modal";
import { assignableRoles, memberName, memberRoles, useEscape, type Viewer } from "./hierarchy";
import { ModerationButtons, ModerationConfirm, RoleChip, RoleToggle, useRoleToggle, type ModerationAction } from "./MemberMenu";
import "./admin.css";

export function Members({ guild, viewer }: { guild: GuildState; viewer: Viewer }) {
  const [query, setQuery] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<Snowflake | null>(null);
  const [confirm, setConfirm] = useState<{ action: ModerationAction; user: User; name: string } | null>(null);
  const closeConfirm = useCallback(() => setConfirm(null), []);
  useEscape(confirm !== null, closeConfirm);
  const list = useMemo(() => {
    const q = query.trim().toLowerCase();
    return Object.values(guild.members)
      .filter((m) => !q || memberName(m).toLowerCase().includes(q) || m.user.username.toLowerCase().includes(q))
      .sort((a, b) => memberName(a).localeCompare(memberName(b)));
  }, [guild.members, query]);
  return (
    <div className="adm-scroll">
      <div className="adm-row-between">
        <h3 className="adm-title">Server Members <span className="adm-muted">— {list.length}</span></h3>
        <input className="adm-search" type="search" placeholder="Search members" aria-label="Search members" value={query} onChange={(e) => setQuery(e.target.value)} />
      </div>
      <ErrorText error={error} />
      <ul className="adm-members">
        {list.map((m) => (
          <MemberRow
            key={m.user.id}
            guild={guild}
            viewer={viewer}
            userId={m.user.id}
            menuOpen={menuFor === m.user.id}
            onMenu={(open) => setMenuFor(open ? m.user.id : null)}
            onError={setError}
            onModerate={(action) => setConfirm({ action, user: m.user, name: memberName(m) })}
          />
        ))}
      </ul>
      {confirm && (
        <ModerationConfirm action={confirm.action} guild={guild} user={confirm.user} name={confirm.name} onError={setError} onClose={closeConfirm} />
      )}
    </div>
  );
}

function MemberRow(props: {
  guild: GuildState;
  viewer: Viewer;
  userId: Snowflake;
  menuOpen: boolean;
  onMenu: (open: boolean) => void;
  onError: (m: string | null) => void;
  onModerate: (a: ModerationAction) => void;
}) {
  const { guild, viewer, userId } = props;
  const member = guild.members[userId];
  const toggles = useRoleToggle(guild, userId, props.onError);
  const assignable = assignableRoles(viewer, guild);
  const menuRef = useRef<HTMLDivElement>(null);
  const closeMenu = useCallback(() => props.onMenu(false), [props.onMenu]);
  useEscape(props.menuOpen, closeMenu);
  useEffect(() => {
    if (!props.menuOpen) return;
    menuRef.current?.querySelector("button")?.focus();
    const onDown = (e: MouseEvent) => menuRef.current && !menuRef.current.contains(e.target as Node) && closeMenu();
    document.addEventListener("mousedown", onDown);
    return () => document.removeEventListener("mousedown", onDown);
  }, [props.menuOpen, closeMenu]);
  if (!member) return null;
  return (
    <li className="adm-member-row" data-testid="settings-member" data-user-id={userId}>
      <Avatar user={member.user} status={guild.presences[userId] ?? "offline"} size={36} />
      <div className="adm-grow">
        <div className="adm-member-name">
          {memberName(member)} <span className="adm-muted">{member.user.username}</span>
          {userId === guild.guild.owner_id && <span className="adm-owner" title="Server Owner"> ♛</span>}
        </div>
        <div className="adm-chips">
          {memberRoles(guild, member).map((r) => <RoleChip key={r.id} role={r} />)}
          {assignable.length > 0 && (
            <div className="adm-dropdown-anchor" ref={menuRef}>
              <button type="button" className="adm-chip adm-chip-add" data-testid="member-roles-edit" aria-haspopup="true" aria-expanded={props.menuOpen} title="Edit roles" onClick={() => props.onMenu(!props.menuOpen)}>
                +
              </button>
              {props.menuOpen && (
                <div className="adm-dropdown" role="menu" aria-label="Roles">
                  {assignable.map((r) => (
                    <RoleToggle key={r.id} role={r} on={toggles.hasRole(r.id)} busy={toggles.busy(r.id)} onToggle={() => toggles.toggle(r)} />
                  ))}
                </div>
              )}
            </div>
          )}
        </div>
      </div>
      <ModerationButtons viewer={viewer} guild={guild} userId={userId} onPick={props.onModerate} />
    </li>
  );
}

export function Bans({ guild, viewer }: { guild: GuildState; viewer: Viewer }) {
  const [bans, setBans] = useState<{ user: User; reason: string | null }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const allowed = has(viewer.perms, P.BAN_MEMBERS);
  const guildId = guild.guild.id;
  useEffect(() => {
    if (!allowed) return;
    api.bans(guildId).then(setBans, (e) => setError(errorMessage(e)));
  }, [guildId, allowed]);
  const unban = async (user: User) => {
    setError(null);
    try {
      await api.unban(guildId, user.id);
      setBans((list) => list?.filter((b) => b.user.id !== user.id) ?? null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div className="adm-scroll">
      <h3 className="adm-title">Bans {bans && <span className="adm-muted">— {bans.length}</span>}</h3>
      {!allowed && <p className="adm-note">You need the Ban Members permission to see bans.</p>}
      <ErrorText error={error} />
      {allowed && bans === null && !error && <p className="adm-muted">Loading…</p>}
      {bans?.length === 0 && <div className="adm-empty"><p>No bans. Nobody has been banned from this server.</p></div>}
      <ul className="adm-members">
        {bans?.map((b) => (
          <li key={b.user.id} className="adm-member-row" data-testid="ban-item" data-user-id={b.user.id}>
            <Avatar user={b.user} size={36} />
            <div className="adm-grow">
              <div className="adm-member-name">{b.user.global_name || b.user.username} <span className="adm-muted">{b.user.username}</span></div>
              <div className="adm-muted adm-small-text">{b.reason ? `Reason: ${b.reason}` : "No reason given"}</div>
            </div>
            <button type="button" className="secondary" data-testid="unban" onClick={() => unban(b.user)}>Revoke Ban</button>
          </li>
        ))}
      </ul>
    </div>
  );
}
