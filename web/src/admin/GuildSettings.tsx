// Server Settings: Overview (name, delete), Roles (create, edit, delete, permissions), Members
// (roles, kick, ban) and Bans. Every change is a REST call; the gateway event it causes updates
// the store, and this dialog re-renders from there.
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { api } from "../api";
import { colorOf, errorMessage, sortedRoles } from "../hooks";
import { EDITABLE, has, P } from "../permissions";
import type { GuildState } from "../store";
import type { Role, Snowflake } from "../types";
import { Confirm, ErrorText, Modal } from "../components/Modal";
import { canManageRole, hexColor, memberName, useEscape, useViewer, type Viewer } from "./hierarchy";
import { Bans, Members } from "./MembersTab";
import "./admin.css";

type Tab = "overview" | "roles" | "members" | "bans";
const TABS: { id: Tab; label: string }[] = [
  { id: "overview", label: "Overview" },
  { id: "roles", label: "Roles" },
  { id: "members", label: "Members" },
  { id: "bans", label: "Bans" },
];

export function GuildSettings(props: { guild: GuildState; onClose: () => void; initialTab?: Tab }) {
  const [tab, setTab] = useState<Tab>(props.initialTab ?? "roles");
  const viewer = useViewer(props.guild);
  return (
    <Modal title="Server Settings" wide testId="guild-settings" onClose={props.onClose}>
      <div className="adm-settings">
        <TabNav tabs={TABS} tab={tab} onTab={setTab} heading={props.guild.guild.name} prefix="settings-tab" />
        <section className="adm-pane" role="tabpanel" aria-label={TABS.find((t) => t.id === tab)?.label}>
          {tab === "overview" && <Overview guild={props.guild} viewer={viewer} onClose={props.onClose} />}
          {tab === "roles" && <Roles guild={props.guild} viewer={viewer} />}
          {tab === "members" && <Members guild={props.guild} viewer={viewer} />}
          {tab === "bans" && <Bans guild={props.guild} viewer={viewer} />}
        </section>
      </div>
    </Modal>
  );
}

/** A vertical tab list (arrow keys move between tabs), shared with ChannelSettings. */
export function TabNav<T extends string>(props: { tabs: { id: T; label: string }[]; tab: T; onTab: (t: T) => void; heading: string; prefix: string }) {
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    const index = props.tabs.findIndex((t) => t.id === props.tab);
    const next = props.tabs[(index + (e.key === "ArrowDown" ? 1 : props.tabs.length - 1)) % props.tabs.length];
    props.onTab(next.id);
    e.currentTarget.querySelector<HTMLButtonElement>(`[data-tab="${next.id}"]`)?.focus();
  };
  const ref = useRef<HTMLElement>(null);
  // Keyboard users start on the open tab (the Modal itself does not move focus).
  useEffect(() => ref.current?.querySelector<HTMLButtonElement>('[aria-selected="true"]')?.focus(), []);
  return (
    <nav className="adm-nav" ref={ref}>
      <div className="adm-nav-heading" title={props.heading}>{props.heading}</div>
      <div role="tablist" aria-orientation="vertical" onKeyDown={onKey}>
        {props.tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            data-tab={t.id}
            data-testid={`${props.prefix}-${t.id}`}
            aria-selected={t.id === props.tab}
            tabIndex={t.id === props.tab ? 0 : -1}
            className={t.id === props.tab ? "selected" : ""}
            onClick={() => props.onTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
    </nav>
  );
}

function Overview({ guild, viewer, onClose }: { guild: GuildState; viewer: Viewer; onClose: () => void }) {
  const [name, setName] = useState(guild.guild.name);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const canEdit = has(viewer.perms, P.MANAGE_GUILD);
  const changed = name.trim() !== guild.guild.name && name.trim().length >= 2;
  const closeConfirm = useCallback(() => setConfirm(false), []);
  useEscape(confirm, closeConfirm);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.editGuild(guild.guild.id, { name: name.trim() });
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form className="adm-scroll" onSubmit={save}>
      <h3 className="adm-title">Server Overview</h3>
      <label>
        Server Name
        <input data-testid="guild-name-input" value={name} disabled={!canEdit} maxLength={100} onChange={(e) => (setName(e.target.value), setSaved(false))} />
      </label>
      <div className="adm-row-end">
        {saved && !changed && <span className="adm-success">Saved</span>}
        <button className="primary" data-testid="guild-save" disabled={!canEdit || !changed}>Save Changes</button>
      </div>
      <ErrorText error={error} />
      <dl className="adm-facts">
        <dt>Server ID</dt>
        <dd>{guild.guild.id}</dd>
        <dt>Owner</dt>
        <dd>{guild.members[guild.guild.owner_id] ? memberName(guild.members[guild.guild.owner_id]) : guild.guild.owner_id}</dd>
        <dt>Members</dt>
        <dd>{guild.guild.member_count ?? Object.keys(guild.members).length}</dd>
      </dl>
      {viewer.owner && (
        <div className="adm-danger-zone">
          <div>
            <strong>Delete Server</strong>
            <p className="adm-muted">Deletes every channel, message and role. This cannot be undone.</p>
          </div>
          <button type="button" className="danger" data-testid="guild-delete" onClick={() => setConfirm(true)}>Delete Server</button>
        </div>
      )}
      {confirm && (
        <Confirm
          title={`Delete '${guild.guild.name}'`}
          body={<p>Are you sure you want to delete <strong>{guild.guild.name}</strong>? This action cannot be undone.</p>}
          action="Delete Server"
          onClose={closeConfirm}
          onConfirm={() => api.deleteGuild(guild.guild.id).then(onClose, (err) => setError(errorMessage(err)))}
        />
      )}
    </form>
  );
}

function Roles({ guild, viewer }: { guild: GuildState; viewer: Viewer }) {
  const roles = useMemo(() => sortedRoles(guild.guild.roles), [guild.guild.roles]);
  const [selected, setSelected] = useState<Snowflake | null>(null);
  const [error, setError] = useState<string | null>(null);
  const counts = useMemo(() => {
    const out: Record<Snowflake, number> = {};
    for (const m of Object.values(guild.members)) for (const r of m.roles) out[r] = (out[r] ?? 0) + 1;
    return out;
  }, [guild.members]);
  const role = roles.find((r) => r.id === selected);
  const create = async () => {
    setError(null);
    try {
      const created = await api.createRole(guild.guild.id, { name: "new role" });
      setSelected(created.id);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <div className="adm-split">
      <div className="adm-list-col">
        <button className="primary adm-block" data-testid="role-create" disabled={!has(viewer.perms, P.MANAGE_ROLES)} onClick={create}>
          Create Role
        </button>
        <ErrorText error={error} />
        <ul className="adm-list" aria-label="Roles">
          {roles.map((r) => {
            const everyone = r.id === guild.guild.id;
            return (
              <li key={r.id}>
                <button
                  type="button"
                  className={`adm-list-item ${r.id === selected ? "selected" : ""}`}
                  data-testid="role-item"
                  data-role-id={r.id}
                  aria-current={r.id === selected}
                  onClick={() => setSelected(r.id)}
                >
                  <span className="adm-dot" style={{ background: colorOf(r) ?? "var(--muted, #b5bac1)" }} />
                  <span className="adm-grow adm-ellipsis">{everyone ? "@everyone" : r.name}</span>
                  {!canManageRole(viewer, r, guild.guild.id) && <LockIcon />}
                  <span className="adm-count" title="Members">{everyone ? guild.guild.member_count ?? "" : counts[r.id] ?? 0}</span>
                </button>
              </li>
            );
          })}
        </ul>
      </div>
      <div className="adm-editor-col">
        {role ? (
          <RoleEditor key={role.id} guild={guild} role={role} viewer={viewer} onDeleted={() => setSelected(null)} />
        ) : (
          <div className="adm-empty">
            <p>Roles give members permissions and a colour. Pick a role to edit it, or create one.</p>
          </div>
        )}
      </div>
    </div>
  );
}

interface Draft {
  name: string;
  color: number;
  hoist: boolean;
  mentionable: boolean;
  permissions: bigint;
}

const draftOf = (r: Role): Draft => ({
  name: r.name,
  color: r.color,
  hoist: r.hoist,
  mentionable: Boolean(r.mentionable),
  permissions: BigInt(r.permissions),
});

function RoleEditor({ guild, role, viewer, onDeleted }: { guild: GuildState; role: Role; viewer: Viewer; onDeleted: () => void }) {
  const original = draftOf(role);
  const [draft, setDraft] = useState<Draft>(original);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const closeConfirm = useCallback(() => setConfirm(false), []);
  useEscape(confirm, closeConfirm);
  const everyone = role.id === guild.guild.id;
  const canEdit = canManageRole(viewer, role, guild.guild.id);
  const changes: Partial<Role> = {};
  if (!everyone && draft.name !== original.name) changes.name = draft.name;
  if (!everyone && draft.color !== original.color) changes.color = draft.color;
  if (!everyone && draft.hoist !== original.hoist) changes.hoist = draft.hoist;
  if (!everyone && draft.mentionable !== original.mentionable) changes.mentionable = draft.mentionable;
  if (draft.permissions !== original.permissions) changes.permissions = draft.permissions.toString();
  const dirty = Object.keys(changes).length > 0;
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.editRole(guild.guild.id, role.id, changes);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = () => api.deleteRole(guild.guild.id, role.id).then(onDeleted, (err) => setError(errorMessage(err)));

  return (
    <form className="adm-role-editor" onSubmit={save} data-testid="role-editor" data-role-id={role.id}>
      <div className="adm-scroll">
        <h3 className="adm-title">
          Edit Role — {everyone ? "@everyone" : role.name}
        </h3>
        {!canEdit && (
          <p className="adm-note">
            {has(viewer.perms, P.MANAGE_ROLES) ? "This role is not below your highest role, so you can't edit it." : "You need the Manage Roles permission to edit roles."}
          </p>
        )}
        {everyone && canEdit && <p className="adm-note">@everyone is every member of the server. Only its permissions can be changed.</p>}
        {!everyone && (
          <>
            <label>
              Role Name
              <input data-testid="role-name" value={draft.name} maxLength={100} required disabled={!canEdit} onChange={(e) => set({ name: e.target.value })} />
            </label>
            <div className="adm-field">
              <span className="adm-label">Role Color</span>
              <div className="adm-color-row">
                <input type="color" data-testid="role-color" aria-label="Role color" value={hexColor(draft.color)} disabled={!canEdit} onChange={(e) => set({ color: parseInt(e.target.value.slice(1), 16) })} />
                <span className="adm-muted">{draft.color ? hexColor(draft.color).toUpperCase() : "Default"}</span>
                {draft.color !== 0 && (
                  <button type="button" className="ghost adm-small" disabled={!canEdit} onClick={() => set({ color: 0 })}>Reset to default</button>
                )}
              </div>
            </div>
            <div className="adm-toggles">
              <Toggle testId="role-hoist" label="Display role members separately from online members" checked={draft.hoist} disabled={!canEdit} onChange={(v) => set({ hoist: v })} />
              <Toggle testId="role-mentionable" label="Allow anyone to @mention this role" checked={draft.mentionable} disabled={!canEdit} onChange={(v) => set({ mentionable: v })} />
            </div>
          </>
        )}
        <h4 className="adm-section">Permissions</h4>
        <div className="adm-toggles">
          {EDITABLE.map((p) => {
            const bit = P[p.name];
            return (
              <Toggle
                key={p.name}
                testId={`role-perm-${p.name}`}
                label={p.label}
                checked={(draft.permissions & bit) === bit}
                disabled={!canEdit || !has(viewer.perms, bit)}
                onChange={(v) => set({ permissions: v ? draft.permissions | bit : draft.permissions & ~bit })}
              />
            );
          })}
        </div>
        <ErrorText error={error} />
        {!everyone && canEdit && (
          <div className="adm-danger-zone">
            <span>Deleting a role removes it from every member.</span>
            <button type="button" className="danger" data-testid="role-delete" onClick={() => setConfirm(true)}>Delete Role</button>
          </div>
        )}
      </div>
      {canEdit && (
        <div className={`adm-savebar ${dirty ? "dirty" : ""}`}>
          <span>{dirty ? "Careful — you have unsaved changes!" : ""}</span>
          <button type="button" className="ghost" disabled={!dirty} onClick={() => setDraft(original)}>Reset</button>
          <button className="primary" data-testid="role-save" disabled={!dirty || busy || !draft.name.trim()}>Save Changes</button>
        </div>
      )}
      {confirm && (
        <Confirm title={`Delete '${role.name}'`} body={<p>Are you sure you want to delete the role <strong>{role.name}</strong>? This cannot be undone.</p>} action="Delete" onConfirm={remove} onClose={closeConfirm} />
      )}
    </form>
  );
}

/** A labelled switch; the input stays a real checkbox for keyboards and screen readers. */
export function Toggle(props: { testId: string; label: string; checked: boolean; disabled?: boolean; onChange: (v: boolean) => void }) {
  return (
    <label className={`adm-toggle ${props.disabled ? "disabled" : ""}`}>
      <span>{props.label}</span>
      <input type="checkbox" role="switch" data-testid={props.testId} checked={props.checked} disabled={props.disabled} onChange={(e) => props.onChange(e.target.checked)} />
    </label>
  );
}

function LockIcon() {
  return (
    <svg className="adm-lock" viewBox="0 0 24 24" width="14" height="14" role="img" aria-label="Locked: not below your highest role">
      <path fill="currentColor" d="M17 9V7A5 5 0 0 0 7 7v2a3 3 0 0 0-3 3v7a3 3 0 0 0 3 3h10a3 3 0 0 0 3-3v-7a3 3 0 0 0-3-3ZM9 7a3 3 0 0 1 6 0v2H9V7Zm4 10.7V19h-2v-1.3a2 2 0 1 1 2 0Z" />
    </svg>
  );
}
