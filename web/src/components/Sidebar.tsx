import { useEffect, useMemo, useState, type FormEvent } from "react";
import { api } from "../api";
import { errorMessage, permissionsIn, useGuildPermissions } from "../hooks";
import { has, P } from "../permissions";
import { navigate } from "../router";
import { compareIds, useStore, type GuildState } from "../store";
import { ChannelType, displayName, type Channel } from "../types";
import { Avatar } from "./Avatar";
import { ChannelSettings } from "../admin/ChannelSettings";
import { GuildSettings } from "../admin/GuildSettings";
import { ErrorText, Modal } from "./Modal";
import { UserPanel } from "./UserPanel";
import { CallPanel } from "./CallPanel";
import { joinVoice, setUserVolume, useCall, userVolume } from "../call";
import { Icon } from "./Icons";

type Dialog =
  | { kind: "invite" }
  | { kind: "bot" }
  | { kind: "settings" }
  | { kind: "create"; parent: string | null; type: number }
  | { kind: "channel"; channel: Channel };

export function Sidebar({ guild, channelId }: { guild: GuildState | undefined; channelId: string | null }) {
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);
  const perms = useGuildPermissions(guild);
  return (
    <aside className="sidebar">
      {guild ? (
        <>
          <header className="guild-header">
            <h1 title={guild.guild.name}>{guild.guild.name}</h1>
            {has(perms, P.CREATE_INSTANT_INVITE) && (
              <button className="icon" data-testid="invite-create" title="Invite People" aria-label="Invite People" onClick={() => setDialog({ kind: "invite" })}>
                {Icon.invite()}
              </button>
            )}
            {has(perms, P.MANAGE_GUILD) && (
              <button className="icon" data-testid="bot-add" title="Add a Bot" aria-label="Add a Bot" onClick={() => setDialog({ kind: "bot" })}>
                {Icon.bot()}
              </button>
            )}
            <button className="icon" data-testid="guild-settings" title="Server Settings" aria-label="Server Settings" onClick={() => setDialog({ kind: "settings" })}>
              {Icon.gear()}
            </button>
          </header>
          <ChannelList guild={guild} channelId={channelId} perms={perms} open={setDialog} />
        </>
      ) : (
        <>
          <header className="guild-header">
            <h1>Home</h1>
          </header>
          <div className="channel-list" />
        </>
      )}
      <CallPanel />
      <UserPanel />
      {guild && dialog?.kind === "invite" && <InviteDialog guild={guild} channelId={channelId} onClose={close} />}
      {guild && dialog?.kind === "bot" && <BotDialog guild={guild} onClose={close} />}
      {guild && dialog?.kind === "settings" && <GuildSettings guild={guild} onClose={close} />}
      {guild && dialog?.kind === "create" && <CreateChannel guild={guild} parent={dialog.parent} type={dialog.type} onClose={close} />}
      {guild && dialog?.kind === "channel" && (
        <ChannelSettings guild={guild} channel={guild.channels[dialog.channel.id] ?? dialog.channel} onClose={close} />
      )}
    </aside>
  );
}

function ChannelList(props: { guild: GuildState; channelId: string | null; perms: bigint; open: (d: Dialog) => void }) {
  const { guild, channelId, open } = props;
  const me = useStore((s) => s.me);
  const lastRead = useStore((s) => s.lastRead);
  const [collapsed, setCollapsed] = useState<Record<string, boolean>>({});
  const unread = (c: Channel) =>
    c.id !== channelId && Boolean(c.last_message_id) && (!lastRead[c.id] || compareIds(c.last_message_id ?? "0", lastRead[c.id]) > 0);
  const voiceMembers = (c: Channel) => Object.values(guild.voice).filter((v) => v.channel_id === c.id);
  const speaking = useCall((call) => call.speaking);
  const [volumeFor, setVolumeFor] = useState<string | null>(null);
  // Opening a voice channel shows it and joins it, as a click does in Discord.
  const openChannel = (c: Channel) => {
    navigate(`/channels/${guild.guild.id}/${c.id}`);
    if (c.type === ChannelType.GuildVoice) joinVoice(guild.guild.id, c.id);
  };

  // Categories in position order, each with its visible children; uncategorized channels first.
  const tree = useMemo(() => {
    const all = Object.values(guild.channels).filter((c) => c.guild_id === guild.guild.id || !c.guild_id);
    const visible = (c: Channel) => me !== null && has(permissionsIn(guild, c, me.id), P.VIEW_CHANNEL);
    const order = (a: Channel, b: Channel) =>
      // Text-like channels above voice ones within a category, as in Discord.
      Number(a.type === ChannelType.GuildVoice) - Number(b.type === ChannelType.GuildVoice) ||
      (a.position ?? 0) - (b.position ?? 0) ||
      (a.id < b.id ? -1 : 1);
    const children = (parent: string | null) =>
      all.filter((c) => c.type !== ChannelType.GuildCategory && (c.parent_id ?? null) === parent && visible(c)).sort(order);
    const categories = all
      .filter((c) => c.type === ChannelType.GuildCategory)
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || (a.id < b.id ? -1 : 1))
      .map((category) => ({ category, channels: children(category.id) }))
      // A category with nothing visible in it is hidden, unless the user can manage channels.
      .filter(({ category, channels }) => channels.length > 0 || has(props.perms, P.MANAGE_CHANNELS) && visible(category));
    return { top: children(null), categories };
  }, [guild, me, props.perms]);

  const canManage = (c: Channel) => {
    const bits = me ? permissionsIn(guild, c, me.id) : 0n;
    return has(bits, P.MANAGE_CHANNELS) || has(bits, P.MANAGE_ROLES);
  };

  const item = (c: Channel) => (
    <li key={c.id}>
      <div
        className={`channel-item ${c.id === channelId ? "selected" : ""} ${c.type === ChannelType.GuildVoice ? "voice" : ""} ${
          c.type === ChannelType.GuildText && unread(c) ? "unread" : ""
        }`}
        data-testid="channel-item"
        data-channel-id={c.id}
        data-channel-name={c.name}
        data-channel-type={c.type}
        role="link"
        tabIndex={0}
        title={c.name}
        onClick={() => openChannel(c)}
        onKeyDown={(e) => e.key === "Enter" && openChannel(c)}
      >
        <span className="channel-glyph" aria-hidden="true">{c.type === ChannelType.GuildVoice ? Icon.speaker(20) : Icon.hash(20)}</span>
        <span className="channel-name">{c.name}</span>
        {canManage(c) && (
          <button
            className="icon tiny channel-gear"
            data-testid="channel-settings"
            title="Edit Channel"
            aria-label={`Edit ${c.name}`}
            onClick={(e) => {
              e.stopPropagation();
              open({ kind: "channel", channel: c });
            }}
          >
            {Icon.gear(14)}
          </button>
        )}
      </div>
      {c.type === ChannelType.GuildVoice && (
        <ul className="voice-members" data-testid="voice-members">
          {voiceMembers(c).map((v) => {
            const member = guild.members[v.user_id] ?? v.member;
            return (
              <li
                key={v.user_id}
                className={`voice-member ${speaking.includes(v.user_id) ? "speaking" : ""}`}
                data-user-id={v.user_id}
                onContextMenu={(e) => {
                  if (v.user_id === me?.id) return;
                  e.preventDefault();
                  setVolumeFor(volumeFor === v.user_id ? null : v.user_id);
                }}
              >
                {member && <Avatar user={member.user} size={22} />}
                <span className="voice-member-name">{member ? displayName(member.user, member) : "Someone"}</span>
                {(v.mute || v.self_mute) && <span className={`voice-flag ${v.mute ? "server" : ""}`} title={v.mute ? "Server muted" : "Muted"}>{Icon.micOff(14)}</span>}
                {(v.deaf || v.self_deaf) && <span className={`voice-flag ${v.deaf ? "server" : ""}`} title={v.deaf ? "Server deafened" : "Deafened"}>{Icon.headphonesOff(14)}</span>}
                {v.self_video && <span className="voice-flag" title="Camera on">{Icon.camera(14)}</span>}
                {v.self_stream && <span className="voice-flag live" title="Sharing screen">LIVE</span>}
                {volumeFor === v.user_id && <VolumePopover userId={v.user_id} onClose={() => setVolumeFor(null)} />}
              </li>
            );
          })}
        </ul>
      )}
    </li>
  );

  return (
    <nav className="channel-list" data-testid="channel-list" aria-label="Channels">
      {has(props.perms, P.MANAGE_CHANNELS) && (
        <button className="create-channel" data-testid="channel-create" onClick={() => open({ kind: "create", parent: null, type: ChannelType.GuildText })}>
          {Icon.plus(16)} Create Channel
        </button>
      )}
      <ul>{tree.top.map(item)}</ul>
      {tree.categories.map(({ category, channels }) => (
        <section key={category.id} className="category">
          <div
            className="category-name"
            data-testid="channel-item"
            data-channel-id={category.id}
            data-channel-name={category.name}
            data-channel-type={category.type}
          >
            <button className="category-toggle" onClick={() => setCollapsed((c) => ({ ...c, [category.id]: !c[category.id] }))}>
              <span className={`chevron ${collapsed[category.id] ? "collapsed" : ""}`}>{Icon.chevron(12)}</span>
              {category.name}
            </button>
            {has(props.perms, P.MANAGE_CHANNELS) && (
              <button className="icon tiny" title="Create Channel" aria-label={`Create a channel in ${category.name}`} onClick={() => open({ kind: "create", parent: category.id, type: ChannelType.GuildText })}>
                {Icon.plus(16)}
              </button>
            )}
            {canManage(category) && (
              <button className="icon tiny channel-gear" data-testid="channel-settings" title="Edit Category" aria-label={`Edit ${category.name}`} onClick={() => open({ kind: "channel", channel: category })}>
                {Icon.gear(14)}
              </button>
            )}
          </div>
          {!collapsed[category.id] && <ul>{channels.map(item)}</ul>}
        </section>
      ))}
    </nav>
  );
}

function CreateChannel(props: { guild: GuildState; parent: string | null; type: number; onClose: () => void }) {
  const [type, setType] = useState(props.type);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      // Discord's client slugs text channel names: lowercase, spaces as dashes.
      const clean = type === ChannelType.GuildText ? name.trim().toLowerCase().replace(/\s+/g, "-") : name.trim();
      const created = await api.createChannel(props.guild.guild.id, {
        name: clean,
        type,
        parent_id: type === ChannelType.GuildCategory ? undefined : props.parent,
      });
      props.onClose();
      if (created.type === ChannelType.GuildText) navigate(`/channels/${props.guild.guild.id}/${created.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };
  return (
    <Modal title="Create Channel" onClose={props.onClose}>
      <form className="modal-body" onSubmit={submit}>
        <label>
          Channel type
          <select data-testid="create-channel-type" value={type} onChange={(e) => setType(Number(e.target.value))}>
            <option value={ChannelType.GuildText}>Text</option>
            <option value={ChannelType.GuildVoice}>Voice</option>
            <option value={ChannelType.GuildCategory}>Category</option>
          </select>
        </label>
        <label>
          {type === ChannelType.GuildCategory ? "Category name" : "Channel name"}
          <input data-testid="create-channel-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required placeholder="new-channel" />
        </label>
        <ErrorText error={error} />
        <footer>
          <button type="button" className="ghost" onClick={props.onClose}>Cancel</button>
          <button className="primary" data-testid="create-channel-submit" disabled={busy || !name.trim()}>
            Create Channel
          </button>
        </footer>
      </form>
    </Modal>
  );
}

function InviteDialog(props: { guild: GuildState; channelId: string | null; onClose: () => void }) {
  const [link, setLink] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const channel =
    (props.channelId && props.guild.channels[props.channelId]) ||
    Object.values(props.guild.channels).find((c) => c.type === ChannelType.GuildText);
  const channelId = channel?.id;
  useEffect(() => {
    if (!channelId) return;
    api.createInvite(channelId).then(
      (invite) => setLink(`${location.origin}/invite/${invite.code}`),
      (e) => setError(errorMessage(e)),
    );
  }, [channelId]);
  return (
    <Modal title={`Invite friends to ${props.guild.guild.name}`} onClose={props.onClose}>
      <div className="modal-body">
        <p className="muted">Send a server invite link to a friend. It expires in 24 hours.</p>
        <div className="copy-row">
          <input data-testid="invite-link" readOnly value={link ?? "Creating…"} onFocus={(e) => e.target.select()} />
          <button
            className="primary"
            disabled={!link}
            onClick={() => {
              if (link) navigator.clipboard?.writeText(link).then(() => setCopied(true), () => {});
            }}
          >
            {copied ? "Copied" : "Copy"}
          </button>
        </div>
        <ErrorText error={error} />
      </div>
    </Modal>
  );
}

function BotDialog(props: { guild: GuildState; onClose: () => void }) {
  const [clientId, setClientId] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await api.authorizeBot(clientId.trim(), props.guild.guild.id);
      setDone(true);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  return (
    <Modal title="Add a bot" onClose={props.onClose}>
      <form className="modal-body" onSubmit={submit}>
        <p className="muted">
          The bot's application id (client id) adds it to <strong>{props.guild.guild.name}</strong>, as Discord's OAuth2 authorize
          screen does with the <code>bot</code> scope.
        </p>
        <label>
          Application id
          <input data-testid="bot-add-client-id" autoFocus inputMode="numeric" value={clientId} onChange={(e) => setClientId(e.target.value)} required />
        </label>
        <ErrorText error={error} />
        {done && <p className="success-text">Added. The bot joins the member list when it connects.</p>}
        <footer>
          <button type="button" className="ghost" onClick={props.onClose}>Close</button>
          <button className="primary" data-testid="bot-add-submit" disabled={!/^\d{1,20}$/.test(clientId.trim())}>
            Authorize
          </button>
        </footer>
      </form>
    </Modal>
  );
}

/** Per-user volume for someone in voice (right click on them in the channel list). */
function VolumePopover({ userId, onClose }: { userId: string; onClose: () => void }) {
  const [value, setValue] = useState(() => Math.round(userVolume(userId) * 100));
  return (
    <div className="volume-popover" role="dialog" aria-label="User Volume" onClick={(e) => e.stopPropagation()}>
      <label>
        User Volume <span>{value}%</span>
        <input
          type="range"
          min={0}
          max={100}
          value={value}
          data-testid="voice-volume"
          autoFocus
          onChange={(e) => {
            setValue(Number(e.target.value));
            setUserVolume(userId, Number(e.target.value) / 100);
          }}
          onKeyDown={(e) => e.key === "Escape" && onClose()}
          onBlur={onClose}
        />
      </label>
    </div>
  );
}
