// Channel settings: Overview (name, topic, delete) and Permissions (per-role and per-member
// overwrites with Discord's deny / inherit / allow switches). PUT and DELETE go over REST; the
// CHANNEL_UPDATE that follows refreshes `channel.permission_overwrites`.
import { useCallback, useMemo, useState, type FormEvent } from "react";
import { api } from "../api";
import { colorOf, errorMessage, sortedRoles, useChannelPermissions } from "../hooks";
import { ALL, EDITABLE, has, P } from "../permissions";
import type { GuildState } from "../store";
import { ChannelType, type Channel, type Overwrite, type Snowflake } from "../types";
import { Avatar } from "../components/Avatar";
import { Confirm, ErrorText, Modal } from "../components/Modal";
import { memberName, useEscape, useViewer } from "./hierarchy";
import { TabNav } from "./GuildSettings";
import "./admin.css";

type Tab = "overview" | "permissions";
const TABS: { id: Tab; label: string }[] = [
  { id: "overview", label: "Overview" },
  { id: "permissions", label: "Permissions" },
];

const VOICE_ONLY = new Set(["CONNECT", "SPEAK"]);

/** The channel permissions offered for this channel type (no voice ones on text channels). */
function applicable(channel: Channel) {
  const text = channel.type === ChannelType.GuildText || channel.type === ChannelType.GuildAnnouncement;
  return EDITABLE.filter((p) => p.channel && !(text && VOICE_ONLY.has(p.name)));
}

const hasTopic = (c: Channel) => c.type === ChannelType.GuildText || c.type === ChannelType.GuildAnnouncement;
const kindLabel = (c: Channel) => (c.type === ChannelType.GuildCategory ? "Category" : c.type === ChannelType.GuildVoice ? "Voice Channel" : "Text Channel");

export function ChannelSettings(props: { guild: GuildState; channel: Channel; onClose: () => void; initialTab?: Tab }) {
  const [tab, setTab] = useState<Tab>(props.initialTab ?? "permissions");
  const glyph = props.channel.type === ChannelType.GuildVoice ? "🔊 " : props.channel.type === ChannelType.GuildCategory ? "" : "# ";
  return (
    <Modal title={`${kindLabel(props.channel)} Settings`} wide testId="channel-perms" onClose={props.onClose}>
      <div className="adm-settings">
        <TabNav tabs={TABS} tab={tab} onTab={setTab} heading={`${glyph}${props.channel.name ?? ""}`} prefix="channel-tab" />
        <section className="adm-pane" role="tabpanel" aria-label={tab === "overview" ? "Overview" : "Permissions"}>
          {tab === "overview" ? <ChannelOverview {...props} /> : <Permissions guild={props.guild} channel={props.channel} />}
        </section>
      </div>
    </Modal>
  );
}

function ChannelOverview({ guild, channel, onClose }: { guild: GuildState; channel: Channel; onClose: () => void }) {
  const perms = useChannelPermissions(guild, channel);
  const canEdit = has(perms, P.MANAGE_CHANNELS);
  const [name, setName] = useState(channel.name ?? "");
  const [topic, setTopic] = useState(channel.topic ?? "");
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const closeConfirm = useCallback(() => setConfirm(false), []);
  useEscape(confirm, closeConfirm);
  // Discord's client slugs text channel names: lowercase, spaces as dashes.
  const cleanName = channel.type === ChannelType.GuildText ? name.trim().toLowerCase().replace(/\s+/g, "-") : name.trim();
  const body: Partial<Channel> = {};
  if (cleanName !== (channel.name ?? "")) body.name = cleanName;
  if (hasTopic(channel) && topic !== (channel.topic ?? "")) body.topic = topic;
  const dirty = Object.keys(body).length > 0;
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.editChannel(channel.id, body);
      setSaved(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  return (
    <form className="adm-scroll" onSubmit={save}>
      <h3 className="adm-title">Overview</h3>
      <label>
        {channel.type === ChannelType.GuildCategory ? "Category Name" : "Channel Name"}
        <input data-testid="channel-name-input" value={name} maxLength={100} required disabled={!canEdit} onChange={(e) => (setName(e.target.value), setSaved(false))} />
      </label>
      {hasTopic(channel) && (
        <label>
          Channel Topic
          <textarea data-testid="channel-topic-input" value={topic} maxLength={1024} rows={4} disabled={!canEdit} placeholder="Let everyone know how to use this channel!" onChange={(e) => (setTopic(e.target.value), setSaved(false))} />
          <span className="adm-counter">{1024 - topic.length}</span>
        </label>
      )}
      <div className="adm-row-end">
        {saved && !dirty && <span className="adm-success">Saved</span>}
        <button className="primary" data-testid="channel-save" disabled={!canEdit || !dirty || !cleanName}>Save Changes</button>
      </div>
      <ErrorText error={error} />
      {canEdit && (
        <div className="adm-danger-zone">
          <div>
            <strong>Delete {kindLabel(channel)}</strong>
            <p className="adm-muted">{channel.type === ChannelType.GuildText ? "Its messages are deleted with it." : "This cannot be undone."}</p>
          </div>
          <button type="button" className="danger" data-testid="channel-delete" onClick={() => setConfirm(true)}>Delete {kindLabel(channel)}</button>
        </div>
      )}
      {confirm && (
        <Confirm
          title={`Delete ${kindLabel(channel)}`}
          body={<p>Are you sure you want to delete <strong>{channel.type === ChannelType.GuildText ? "#" : ""}{channel.name}</strong>? This cannot be undone.</p>}
          action={`Delete ${kindLabel(channel)}`}
          onClose={closeConfirm}
          onConfirm={() => api.deleteChannel(channel.id).then(onClose, (err) => setError(errorMessage(err)))}
        />
      )}
    </form>
  );
}

/** "role:<id>" or "member:<id>" — the value of an overwrite target in lists and selects. */
type TargetKey = string;
const keyOf = (type: 0 | 1, id: Snowflake): TargetKey => `${type === 0 ? "role" : "member"}:${id}`;
function parseKey(key: TargetKey): { type: 0 | 1; id: Snowflake } {
  const [kind, id] = key.split(":");
  return { type: kind === "member" ? 1 : 0, id };
}

function Permissions({ guild, channel }: { guild: GuildState; channel: Channel }) {
  const guildId = guild.guild.id;
  const overwrites = channel.permission_overwrites ?? [];
  const [selected, setSelected] = useState<TargetKey>(keyOf(0, guildId));
  const roles = useMemo(() => sortedRoles(guild.guild.roles), [guild.guild.roles]);
  const roleName = (id: Snowflake) => (id === guildId ? "@everyone" : roles.find((r) => r.id === id)?.name ?? "Deleted role");
  const existing = (key: TargetKey) => overwrites.find((o) => keyOf(o.type, o.id) === key);

  // Listed: @everyone (always, as in Discord), roles with an overwrite (highest first), members
  // with one, and the target just picked in the select even before it is saved.
  const listed: TargetKey[] = useMemo(() => {
    const roleKeys = roles.filter((r) => r.id !== guildId && overwrites.some((o) => o.type === 0 && o.id === r.id)).map((r) => keyOf(0, r.id));
    const orphanRoles = overwrites.filter((o) => o.type === 0 && o.id !== guildId && !roles.some((r) => r.id === o.id)).map((o) => keyOf(0, o.id));
    const memberKeys = overwrites.filter((o) => o.type === 1).map((o) => keyOf(1, o.id));
    const keys = [keyOf(0, guildId), ...roleKeys, ...orphanRoles, ...memberKeys];
    return keys.includes(selected) ? keys : [...keys, selected];
  }, [roles, overwrites, guildId, selected]);

  const addable = {
    roles: roles.filter((r) => r.id !== guildId && !listed.includes(keyOf(0, r.id))),
    members: Object.values(guild.members)
      .filter((m) => !listed.includes(keyOf(1, m.user.id)))
      .sort((a, b) => memberName(a).localeCompare(memberName(b))),
  };

  const label = (key: TargetKey) => {
    const { type, id } = parseKey(key);
    return type === 0 ? roleName(id) : memberName(guild.members[id]);
  };

  return (
    <div className="adm-split">
      <div className="adm-list-col">
        <h4 className="adm-section">Roles / Members</h4>
        <select
          data-testid="overwrite-add"
          aria-label="Add a role or member"
          value=""
          onChange={(e) => e.target.value && setSelected(e.target.value)}
        >
          <option value="">+ Add a role or member…</option>
          {addable.roles.length > 0 && (
            <optgroup label="Roles">
              {addable.roles.map((r) => <option key={r.id} value={keyOf(0, r.id)}>{r.name}</option>)}
            </optgroup>
          )}
          {addable.members.length > 0 && (
            <optgroup label="Members">
              {addable.members.map((m) => <option key={m.user.id} value={keyOf(1, m.user.id)}>{memberName(m)} ({m.user.username})</option>)}
            </optgroup>
          )}
        </select>
        <ul className="adm-list" aria-label="Permission overwrites">
          {listed.map((key) => {
            const { type, id } = parseKey(key);
            const member = type === 1 ? guild.members[id] : undefined;
            const role = type === 0 ? roles.find((r) => r.id === id) : undefined;
            return (
              <li key={key}>
                <button type="button" className={`adm-list-item ${key === selected ? "selected" : ""}`} data-testid="overwrite-item" data-target={key} aria-current={key === selected} onClick={() => setSelected(key)}>
                  {member ? <Avatar user={member.user} size={20} /> : <span className="adm-dot" style={{ background: colorOf(role) ?? "var(--muted, #b5bac1)" }} />}
                  <span className="adm-grow adm-ellipsis">{label(key)}</span>
                  {!existing(key) && id !== guildId && <span className="adm-tag">new</span>}
                </button>
              </li>
            );
          })}
        </ul>
      </div>
      <div className="adm-editor-col">
        <OverwriteEditor key={selected} guild={guild} channel={channel} target={selected} label={label(selected)} existing={existing(selected)} onRemoved={() => setSelected(keyOf(0, guildId))} />
      </div>
    </div>
  );
}

type Tri = "deny" | "inherit" | "allow";

function OverwriteEditor(props: { guild: GuildState; channel: Channel; target: TargetKey; label: string; existing: Overwrite | undefined; onRemoved: () => void }) {
  const { guild, channel, existing } = props;
  const { type, id } = parseKey(props.target);
  const viewer = useViewer(guild);
  const myChannelPerms = useChannelPermissions(guild, channel);
  const [allow, setAllow] = useState(() => BigInt(existing?.allow ?? "0"));
  const [deny, setDeny] = useState(() => BigInt(existing?.deny ?? "0"));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Editing overwrites needs Manage Permissions (MANAGE_ROLES) in this channel; each bit set
  // must be one the editor holds (guild-level or here).
  const canEdit = has(myChannelPerms, P.MANAGE_ROLES);
  const holds = (bit: bigint) => viewer.owner || myChannelPerms === ALL || has(viewer.perms, bit) || has(myChannelPerms, bit);
  const everyone = id === guild.guild.id;
  // A target picked from the list is saved even empty; @everyone without an override only once set.
  const dirty = existing ? BigInt(existing.allow) !== allow || BigInt(existing.deny) !== deny : !everyone || allow !== 0n || deny !== 0n;

  const stateOf = (bit: bigint): Tri => ((deny & bit) === bit ? "deny" : (allow & bit) === bit ? "allow" : "inherit");
  const setState = (bit: bigint, next: Tri) => {
    setAllow((a) => (next === "allow" ? a | bit : a & ~bit));
    setDeny((d) => (next === "deny" ? d | bit : d & ~bit));
  };

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.putOverwrite(channel.id, { id, type, allow: allow.toString(), deny: deny.toString() });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setError(null);
    try {
      if (existing) await api.deleteOverwrite(channel.id, id);
      props.onRemoved();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div className="adm-role-editor" data-testid="overwrite-editor" data-target={props.target}>
      <div className="adm-scroll">
        <h3 className="adm-title">{props.label}</h3>
        <p className="adm-muted adm-small-text">
          {type === 1 ? "Member overrides apply last and win over every role." : everyone ? "Applies to everyone, before any role or member overrides." : "Role overrides apply after @everyone; an allow on any role beats a deny on another."}
        </p>
        {!canEdit && <p className="adm-note">You need the Manage Permissions permission in this channel to change overrides.</p>}
        <div className="adm-perm-rows">
          {applicable(channel).map((p) => {
            const bit = P[p.name];
            const state = stateOf(bit);
            const disabled = !canEdit || !holds(bit);
            return (
              <div key={p.name} className="adm-perm-row" data-testid={`perm-${p.name}`} data-state={state}>
                <span className={`adm-grow ${disabled ? "adm-muted" : ""}`}>{p.label}</span>
                <div className="adm-tri" role="radiogroup" aria-label={p.label}>
                  {(["deny", "inherit", "allow"] as const).map((t) => (
                    <button
                      key={t}
                      type="button"
                      role="radio"
                      aria-checked={state === t}
                      aria-label={`${t === "inherit" ? "Inherit" : t === "allow" ? "Allow" : "Deny"} ${p.label}`}
                      title={t === "inherit" ? "Inherit" : t === "allow" ? "Allow" : "Deny"}
                      className={`adm-tri-${t} ${state === t ? "active" : ""}`}
                      data-testid={`perm-${p.name}-${t}`}
                      disabled={disabled}
                      onClick={() => setState(bit, t)}
                    >
                      {t === "deny" ? "✕" : t === "inherit" ? "/" : "✓"}
                    </button>
                  ))}
                </div>
              </div>
            );
          })}
        </div>
        <ErrorText error={error} />
      </div>
      <div className={`adm-savebar ${dirty ? "dirty" : ""}`}>
        <span>{dirty ? (existing ? "Careful — you have unsaved changes!" : "Not saved yet: Save creates this override.") : ""}</span>
        <button type="button" className="ghost adm-danger-text" data-testid="overwrite-remove" disabled={!canEdit || (!existing && everyone)} onClick={remove}>
          {existing ? "Remove Override" : "Discard"}
        </button>
        <button type="button" className="primary" data-testid="overwrite-save" disabled={!canEdit || busy || !dirty} onClick={save}>Save Changes</button>
      </div>
    </div>
  );
}
