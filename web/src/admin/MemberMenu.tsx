// The profile popover a member-list click opens: who they are, their roles, and the moderation
// actions the viewer is allowed to take (role toggles, kick, ban). The caller positions it.
import { useEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { api } from "../api";
import { colorOf, errorMessage } from "../hooks";
import { P } from "../permissions";
import type { GuildState } from "../store";
import type { Role, Snowflake, User } from "../types";
import { Avatar } from "../components/Avatar";
import { Confirm, ErrorText } from "../components/Modal";
import { assignableRoles, canModerate, memberName, memberRoles, useViewer, type Viewer } from "./hierarchy";
import "./admin.css";

export type ModerationAction = "kick" | "ban";

/** Kick or ban confirmation with an optional audit-log reason; rendered on document.body. */
export function ModerationConfirm(props: {
  action: ModerationAction;
  guild: GuildState;
  user: User;
  name: string;
  onDone?: () => void;
  onError: (message: string) => void;
  onClose: () => void;
}) {
  const [reason, setReason] = useState("");
  const { action, guild, user } = props;
  const verb = action === "kick" ? "Kick" : "Ban";
  const run = () => {
    const why = reason.trim() || undefined;
    const call = action === "kick" ? api.kick(guild.guild.id, user.id, why) : api.ban(guild.guild.id, user.id, why);
    call.then(
      () => props.onDone?.(),
      (e) => props.onError(errorMessage(e)),
    );
  };
  return createPortal(
    <Confirm
      title={`${verb} '${props.name}'`}
      action={verb}
      onConfirm={run}
      onClose={props.onClose}
      body={
        <div className="adm-confirm-body">
          <p>
            {action === "kick"
              ? `Are you sure you want to kick @${user.username} from the server? They will be able to rejoin with a new invite.`
              : `Are you sure you want to ban @${user.username}? They will not be able to rejoin until unbanned.`}
          </p>
          <label>
            <span>
              Reason <span className="adm-label-aside">(optional, shown in the audit log)</span>
            </span>
            <input
              data-testid="moderation-reason"
              value={reason}
              maxLength={512}
              onChange={(e) => setReason(e.target.value)}
            />
          </label>
        </div>
      }
    />,
    document.body,
  );
}

/**
 * Role toggles with a request in flight: role id → the state asked for. Shown in place of the
 * member's roles until the gateway's GUILD_MEMBER_UPDATE agrees (state is never written here).
 */
export function useRoleToggle(guild: GuildState, userId: Snowflake, onError: (m: string | null) => void) {
  const [pending, setPending] = useState<Record<Snowflake, boolean>>({});
  const roles = guild.members[userId]?.roles;
  useEffect(() => {
    // Drop the requests the member's roles now reflect.
    setPending((p) => {
      const left = Object.entries(p).filter(([id, want]) => (roles ?? []).includes(id) !== want);
      return left.length === Object.keys(p).length ? p : Object.fromEntries(left);
    });
  }, [roles]);
  const hasRole = (roleId: Snowflake) => pending[roleId] ?? (roles ?? []).includes(roleId);
  const toggle = async (role: Role) => {
    const want = !hasRole(role.id);
    setPending((p) => ({ ...p, [role.id]: want }));
    onError(null);
    try {
      if (want) await api.addMemberRole(guild.guild.id, userId, role.id);
      else await api.removeMemberRole(guild.guild.id, userId, role.id);
    } catch (e) {
      onError(errorMessage(e));
      setPending((p) => {
        const next = { ...p };
        delete next[role.id];
        return next;
      });
    }
  };
  return { hasRole, toggle, busy: (roleId: Snowflake) => roleId in pending };
}

export function RoleChip(props: { role: Role }) {
  return (
    <span className="adm-chip" data-testid="member-role-chip" data-role-id={props.role.id}>
      <span className="adm-dot" style={{ background: colorOf(props.role) ?? "var(--muted, #b5bac1)" }} />
      {props.role.name}
    </span>
  );
}

/** A role as a toggle button: filled when the member has it. */
export function RoleToggle(props: { role: Role; on: boolean; busy: boolean; onToggle: () => void }) {
  const { role, on } = props;
  return (
    <button
      type="button"
      className={`adm-chip adm-chip-toggle ${on ? "on" : ""}`}
      data-testid="member-role"
      data-role-id={role.id}
      aria-pressed={on}
      disabled={props.busy}
      title={on ? `Remove ${role.name}` : `Add ${role.name}`}
      onClick={props.onToggle}
    >
      <span className="adm-dot" style={{ background: colorOf(role) ?? "var(--muted, #b5bac1)" }} />
      {role.name}
      <span className="adm-chip-mark" aria-hidden="true">{on ? "✓" : "+"}</span>
    </button>
  );
}

export function ModerationButtons(props: { viewer: Viewer; guild: GuildState; userId: Snowflake; onPick: (a: ModerationAction) => void }) {
  const { viewer, guild, userId } = props;
  const kick = canModerate(viewer, guild, userId, P.KICK_MEMBERS);
  const ban = canModerate(viewer, guild, userId, P.BAN_MEMBERS);
  if (!kick && !ban) return null;
  return (
    <div className="adm-mod-buttons">
      {kick && (
        <button type="button" className="adm-btn-danger-outline" data-testid="member-kick" onClick={() => props.onPick("kick")}>
          Kick
        </button>
      )}
      {ban && (
        <button type="button" className="danger" data-testid="member-ban" onClick={() => props.onPick("ban")}>
          Ban
        </button>
      )}
    </div>
  );
}

export function MemberMenu(props: { guild: GuildState; userId: string; onClose: () => void }) {
  const { guild, userId, onClose } = props;
  const viewer = useViewer(guild);
  const member = guild.members[userId];
  const ref = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<ModerationAction | null>(null);
  const roles = useRoleToggle(guild, userId, setError);

  // Focus moves into the card and back where it was when the card closes.
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    return () => previous?.focus?.();
  }, []);

  // Escape or a click outside closes it (not while its confirmation dialog is up).
  useEffect(() => {
    if (confirm) return;
    const onDown = (e: MouseEvent) => {
      const target = e.target as Element;
      // The member's own list entry toggles the card itself; leave that click to it.
      const opener = target.closest?.('[data-testid="member-item"]');
      if (opener?.getAttribute("data-user-id") === userId) return;
      if (ref.current && !ref.current.contains(target)) onClose();
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    document.addEventListener("mousedown", onDown);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("mousedown", onDown);
      document.removeEventListener("keydown", onKey);
    };
  }, [confirm, onClose, userId]);

  if (!member) {
    return (
      <div className="adm-member-menu" data-testid="member-menu" ref={ref} tabIndex={-1} role="dialog" aria-label="Member">
        <div className="adm-menu-body adm-muted">This member is no longer in the server.</div>
      </div>
    );
  }

  const user = member.user;
  const name = memberName(member);
  const current = memberRoles(guild, member);
  const manageable = assignableRoles(viewer, guild);
  const manageableIds = new Set(manageable.map((r) => r.id));
  // Roles the member has that the viewer cannot touch are shown as plain chips.
  const fixed = current.filter((r) => !manageableIds.has(r.id));
  const top = current.find((r) => r.color);

  return (
    <div
      className="adm-member-menu"
      data-testid="member-menu"
      data-user-id={userId}
      ref={ref}
      tabIndex={-1}
      role="dialog"
      aria-label={`${name}'s profile`}
    >
      <div className="adm-menu-banner" style={{ background: colorOf(top) ?? "var(--accent, #5865f2)" }} />
      <div className="adm-menu-avatar">
        <Avatar user={user} status={guild.presences[userId] ?? "offline"} size={72} />
      </div>
      <div className="adm-menu-body">
        <div className="adm-menu-name" style={{ color: colorOf(top) }}>
          {name}
          {user.bot && <span className="adm-bot-tag">BOT</span>}
        </div>
        <div className="adm-muted adm-menu-username">
          {user.username}
          {user.id === guild.guild.owner_id && <span className="adm-owner" title="Server Owner"> ♛ Owner</span>}
        </div>
        <div className="adm-menu-section">
          <h3>{current.length ? "Roles" : "No Roles"}</h3>
          <div className="adm-chips">
            {fixed.map((r) => (
              <RoleChip key={r.id} role={r} />
            ))}
            {manageable.map((r) => (
              <RoleToggle key={r.id} role={r} on={roles.hasRole(r.id)} busy={roles.busy(r.id)} onToggle={() => roles.toggle(r)} />
            ))}
          </div>
          {manageable.length > 0 && <p className="adm-hint">Click a role to add or remove it.</p>}
        </div>
        <ErrorText error={error} />
        <ModerationButtons viewer={viewer} guild={guild} userId={userId} onPick={setConfirm} />
      </div>
      {confirm && (
        <ModerationConfirm
          action={confirm}
          guild={guild}
          user={user}
          name={name}
          onDone={onClose}
          onError={setError}
          onClose={() => setConfirm(null)}
        />
      )}
    </div>
  );
}
