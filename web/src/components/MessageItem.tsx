import { memo, useMemo, useState, type KeyboardEvent } from "react";
import { api } from "../api";
import { colorOf, errorMessage, sortedRoles } from "../hooks";
import { Markdown, type MentionResolver } from "../markdown";
import { has, P } from "../permissions";
import { navigate } from "../router";
import { useStore, type GuildState } from "../store";
import { displayName, type Message, type Reaction, type Role } from "../types";
import { Avatar } from "./Avatar";
import { Confirm, ErrorText } from "./Modal";
import { Icon } from "./Icons";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉", "👀", "🔥"];

/**
 * What a message needs of its guild. Each part changes only with its own events, so a presence
 * or typing update (a new GuildState) does not re-render every message.
 */
export interface GuildParts {
  guildId: string;
  members: GuildState["members"];
  roles: Role[];
  channels: GuildState["channels"];
}

export function useGuildParts(guild: GuildState): GuildParts {
  const { members, channels } = guild;
  const { id, roles } = guild.guild;
  return useMemo(() => ({ guildId: id, members, roles, channels }), [id, members, roles, channels]);
}

export function useResolver(parts: GuildParts): MentionResolver {
  return useMemo(
    () => ({
      user: (id) => {
        const m = parts.members[id];
        return m ? displayName(m.user, m) : undefined;
      },
      role: (id) => {
        const role = parts.roles.find((r) => r.id === id);
        return role ? { name: role.name, color: colorOf(role) } : undefined;
      },
      channel: (id) => parts.channels[id]?.name,
      openChannel: (id) => navigate(`/channels/${parts.guildId}/${id}`),
    }),
    [parts],
  );
}

/** The colour of the member's highest coloured role, as Discord paints names. */
function nameColor(parts: GuildParts, userId: string): string | undefined {
  const roles = parts.members[userId]?.roles ?? [];
  return colorOf(sortedRoles(parts.roles).find((r) => roles.includes(r.id) && r.color));
}

function time(iso: string): string {
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  const t = d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  return today ? `Today at ${t}` : `${d.toLocaleDateString()} ${t}`;
}

interface Props {
  message: Message;
  guild: GuildParts;
  grouped: boolean;
  perms: bigint;
  resolver: MentionResolver;
  onReply?: (m: Message) => void;
  readOnly?: boolean;
  /** Whether this message is being edited (one at a time per channel, chosen by the view). */
  editing?: boolean;
  onEdit?: (id: string | null) => void;
}

export const MessageItem = memo(function MessageItem({ message: m, guild, grouped, perms, resolver, onReply, readOnly, editing = false, onEdit }: Props) {
  const me = useStore((s) => s.me);
  const setEditing = (on: boolean) => onEdit?.(on ? m.id : null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [picker, setPicker] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mine = me?.id === m.author.id;
  const member = guild.members[m.author.id];
  const name = displayName(m.author, member ?? m.member);
  const canManage = has(perms, P.MANAGE_MESSAGES);
  const canPin = canManage || has(perms, P.PIN_MESSAGES);
  const canReact = has(perms, P.ADD_REACTIONS) || (m.reactions?.length ?? 0) > 0;

  const act = (f: () => Promise<unknown>) => {
    setError(null);
    f().catch((e) => setError(errorMessage(e)));
  };
  const toggleReaction = (emoji: string, reacted: boolean) =>
    act(() => (reacted ? api.removeReaction(m.channel_id, m.id, emoji) : api.addReaction(m.channel_id, m.id, emoji)));

  if (m.type === 6) return <PinNotice message={m} name={name} color={nameColor(guild, m.author.id)} />;
  const header = !grouped || m.referenced_message;
  const myRoles = me ? guild.members[me.id]?.roles ?? [] : [];
  const mentioned =
    !mine &&
    (m.mention_everyone || m.mentions?.some((u) => u.id === me?.id) || m.mention_roles?.some((r) => myRoles.includes(r)));
  return (
    <div
      className={`message ${header ? "with-header" : "grouped"} ${m.pending ? "pending" : ""} ${editing ? "editing" : ""} ${mentioned ? "mentioned" : ""}`}
      data-testid="message"
      data-message-id={m.id}
      data-author-id={m.author.id}
    >
      {m.referenced_message !== undefined && m.message_reference && (
        <div className="reply-preview">
          {m.referenced_message ? (
            <>
              <Avatar user={m.referenced_message.author} size={16} />
              <strong style={{ color: nameColor(guild, m.referenced_message.author.id) }}>
                @{displayName(m.referenced_message.author, guild.members[m.referenced_message.author.id])}
              </strong>
              <span className="reply-text">{m.referenced_message.content}</span>
            </>
          ) : (
            <em>Original message was deleted</em>
          )}
        </div>
      )}
      <div className="message-row">
        <div className="gutter">
          {header ? <Avatar user={m.author} size={40} /> : <span className="hover-time">{new Date(m.timestamp).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}</span>}
        </div>
        <div className="message-body">
          {header && (
            <div className="message-meta">
              <span className="author" style={{ color: nameColor(guild, m.author.id) }}>{name}</span>
              {m.author.bot && <span className="bot-tag">BOT</span>}
              <time dateTime={m.timestamp}>{time(m.timestamp)}</time>
              {m.pinned && <span className="pinned-tag" title="Pinned">{Icon.pin(12)}</span>}
            </div>
          )}
          {editing ? (
            <EditBox message={m} onDone={() => setEditing(false)} />
          ) : (
            <div className="message-content" data-testid="message-content">
              <Markdown text={m.content} resolver={resolver} />
              {m.edited_timestamp && <span className="edited" title={time(m.edited_timestamp)}> (edited)</span>}
            </div>
          )}
          {(m.attachments?.length ?? 0) > 0 && (
            <div className="attachments">
              {m.attachments?.map((a) =>
                a.content_type?.startsWith("image/") ? (
                  <img key={a.id} src={a.url} alt={a.filename} loading="lazy" />
                ) : (
                  <a key={a.id} href={a.url} target="_blank" rel="noreferrer noopener" className="file">{a.filename}</a>
                ),
              )}
            </div>
          )}
          {(m.reactions?.length ?? 0) > 0 && (
            <div className="reactions">
              {m.reactions?.map((r) => (
                <ReactionChip key={r.emoji.id ?? r.emoji.name} reaction={r} disabled={readOnly || m.pending} onToggle={toggleReaction} />
              ))}
            </div>
          )}
          <ErrorText error={error} />
        </div>
      </div>
      {!readOnly && !m.pending && !editing && (
        <div className="message-toolbar" role="toolbar" aria-label="Message actions">
          {canReact && (
            <>
              <button data-testid="message-react" title="React with 👍" aria-label="React with thumbs up" onClick={() => toggleReaction("👍", Boolean(m.reactions?.find((r) => r.emoji.name === "👍")?.me))}>
                {Icon.thumbsUp()}
              </button>
              <button data-testid="message-react-more" title="Add Reaction" aria-label="Add Reaction" onClick={() => setPicker(!picker)}>
                {Icon.smile()}
              </button>
            </>
          )}
          {onReply && (
            <button data-testid="message-reply" title="Reply" aria-label="Reply" onClick={() => onReply(m)}>
              {Icon.reply()}
            </button>
          )}
          {mine && onEdit && (
            <button data-testid="message-edit" title="Edit" aria-label="Edit" onClick={() => setEditing(true)}>
              {Icon.edit()}
            </button>
          )}
          {canPin && (
            <button data-testid="message-pin" title={m.pinned ? "Unpin Message" : "Pin Message"} aria-label={m.pinned ? "Unpin Message" : "Pin Message"} onClick={() => act(() => (m.pinned ? api.unpin(m.channel_id, m.id) : api.pin(m.channel_id, m.id)))}>
              {Icon.pin()}
            </button>
          )}
          {(mine || canManage) && (
            <button data-testid="message-delete" className="danger-action" title="Delete Message" aria-label="Delete Message" onClick={() => setConfirmDelete(true)}>
              {Icon.trash()}
            </button>
          )}
          {picker && (
            <div className="emoji-picker" role="menu">
              {QUICK_REACTIONS.map((e) => (
                <button
                  key={e}
                  role="menuitem"
                  onClick={() => {
                    setPicker(false);
                    toggleReaction(e, Boolean(m.reactions?.find((r) => r.emoji.name === e)?.me));
                  }}
                >
                  {e}
                </button>
              ))}
            </div>
          )}
        </div>
      )}
      {confirmDelete && (
        <Confirm
          title="Delete Message"
          body={<>Are you sure you want to delete this message?<blockquote className="confirm-quote">{m.content}</blockquote></>}
          action="Delete"
          onConfirm={() => act(() => api.deleteMessage(m.channel_id, m.id))}
          onClose={() => setConfirmDelete(false)}
        />
      )}
    </div>
  );
});

/** Discord's system line for a pin (type 6 CHANNEL_PINNED_MESSAGE, no content of its own). */
function PinNotice({ message, name, color }: { message: Message; name: string; color?: string }) {
  return (
    <div className="message system" data-testid="message" data-message-id={message.id} data-author-id={message.author.id} data-type={message.type}>
      <div className="message-row">
        <div className="gutter system-icon">{Icon.pin(16)}</div>
        <div className="message-body">
          <span className="author" style={{ color }}>{name}</span> pinned a message to this channel.{" "}
          <time dateTime={message.timestamp}>{time(message.timestamp)}</time>
        </div>
      </div>
    </div>
  );
}

function ReactionChip({ reaction, disabled, onToggle }: { reaction: Reaction; disabled?: boolean; onToggle: (emoji: string, reacted: boolean) => void }) {
  // Custom emoji are addressed as name:id; unicode ones by themselves.
  const key = reaction.emoji.id ? `${reaction.emoji.name}:${reaction.emoji.id}` : reaction.emoji.name ?? "";
  return (
    <button
      className={`reaction ${reaction.me ? "me" : ""}`}
      data-testid="reaction"
      data-emoji={key}
      disabled={disabled}
      aria-pressed={reaction.me}
      onClick={() => onToggle(key, reaction.me)}
    >
      <span className="emoji">{reaction.emoji.id ? `:${reaction.emoji.name}:` : reaction.emoji.name}</span>
      <span className="count">{reaction.count}</span>
    </button>
  );
}

function EditBox({ message, onDone }: { message: Message; onDone: () => void }) {
  const [text, setText] = useState(message.content);
  const [error, setError] = useState<string | null>(null);
  const save = async () => {
    const content = text.trim();
    if (content === message.content) return onDone();
    try {
      await api.editMessage(message.channel_id, message.id, content);
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      save();
    } else if (e.key === "Escape") {
      onDone();
    }
  };
  return (
    <div className="edit-box">
      <textarea data-testid="message-edit-input" autoFocus value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKey} maxLength={2000} />
      <small className="muted">escape to cancel • enter to save</small>
      <ErrorText error={error} />
    </div>
  );
}
