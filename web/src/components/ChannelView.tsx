import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { api } from "../api";
import { loadOlder, resetTypingThrottle, sendMessage, typing } from "../actions";
import { errorMessage, useChannelPermissions } from "../hooks";
import { has, P } from "../permissions";
import { markRead, useStore, type GuildState } from "../store";
import { displayName, type Channel, type Message } from "../types";
import { MessageItem, useGuildParts, useResolver } from "./MessageItem";
import { ErrorText } from "./Modal";
import { Icon } from "./Icons";

const EMPTY: Message[] = [];

export function ChannelView({ guild, channel }: { guild: GuildState; channel: Channel }) {
  const entry = useStore((s) => s.messages[channel.id]);
  const perms = useChannelPermissions(guild, channel);
  const [replyTo, setReplyTo] = useState<Message | null>(null);
  const [editingId, setEditingId] = useState<string | null>(null);
  const me = useStore((s) => s.me);
  const [showPins, setShowPins] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setReplyTo(null);
    setEditingId(null);
    setShowPins(false);
    setError(null);
  }, [channel.id]);

  // Whatever arrives while the channel is open counts as read.
  const newest = entry?.list.findLast((m) => !m.pending)?.id;
  useEffect(() => markRead(channel.id, newest ?? channel.last_message_id), [channel.id, newest, channel.last_message_id]);

  // The first page, when the channel opens and again after a new session dropped the history.
  const missing = entry === undefined;
  useEffect(() => {
    if (missing) loadOlder(channel.id).catch((e) => setError(errorMessage(e)));
  }, [channel.id, missing]);

  return (
    <main className="channel-view">
      <header className="channel-header">
        <span className="channel-glyph">{Icon.hash(22)}</span>
        <h2>{channel.name}</h2>
        {channel.topic && <span className="topic" title={channel.topic}>{channel.topic}</span>}
        <span className="spacer" />
        <button className={`icon ${showPins ? "active" : ""}`} data-testid="pins-button" title="Pinned Messages" aria-label="Pinned Messages" onClick={() => setShowPins(!showPins)}>
          {Icon.pin(20)}
        </button>
        {showPins && <PinsPopover guild={guild} channel={channel} onClose={() => setShowPins(false)} />}
      </header>
      <MessageList guild={guild} channel={channel} list={entry?.list ?? EMPTY} hasMore={entry?.hasMore ?? true} loading={entry?.loading ?? true} perms={perms} onReply={setReplyTo} editingId={editingId} onEdit={setEditingId} />
      <ErrorText error={error} />
      <Composer
        guild={guild}
        channel={channel}
        perms={perms}
        replyTo={replyTo}
        clearReply={() => setReplyTo(null)}
        editLast={() => {
          // Up in an empty composer edits one's last message, as in Discord.
          const last = entry?.list.findLast((m) => m.author.id === me?.id && !m.pending && m.type !== 6);
          if (last) setEditingId(last.id);
        }}
      />
    </main>
  );
}

function MessageList(props: {
  guild: GuildState;
  channel: Channel;
  list: Message[];
  hasMore: boolean;
  loading: boolean;
  perms: bigint;
  onReply: (m: Message) => void;
  editingId: string | null;
  onEdit: (id: string | null) => void;
}) {
  const { list, channel } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ first: string | undefined; height: number }>({ first: undefined, height: 0 });
  const parts = useGuildParts(props.guild);
  const resolver = useResolver(parts);

  // Keep the view where the reader is: stuck to the bottom for new messages, and in place when
  // an older page is prepended (the content above grew by the page's height).
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = list[0]?.id;
    if (anchor.current.first !== undefined && first !== anchor.current.first && !atBottom.current) {
      el.scrollTop += el.scrollHeight - anchor.current.height;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
    anchor.current = { first, height: el.scrollHeight };
  }, [list]);

  // A short first page may not fill the view (no scrollbar, no scroll event): ask for more.
  useEffect(() => {
    const el = scroller.current;
    if (el && props.hasMore && !props.loading && el.scrollHeight <= el.clientHeight + 50) {
      loadOlder(channel.id).catch(() => {});
    }
  }, [list, props.hasMore, props.loading, channel.id]);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
    anchor.current.height = el.scrollHeight;
    if (el.scrollTop < 300 && props.hasMore && !props.loading) loadOlder(channel.id).catch(() => {});
  };

  return (
    <div className="message-scroller" ref={scroller} onScroll={onScroll} data-testid="message-list">
      <div className="message-list-inner">
        {!props.hasMore && (
          <div className="channel-start">
            <div className="channel-start-icon">{Icon.hash(42)}</div>
            <h1>Welcome to #{channel.name}!</h1>
            <p className="muted">This is the start of the #{channel.name} channel.</p>
          </div>
        )}
        {props.loading && <div className="loading-row">Loading messages…</div>}
        {list.map((m, i) => {
          const prev = list[i - 1];
          const grouped =
            prev !== undefined &&
            prev.author.id === m.author.id &&
            prev.type !== 6 &&
            !m.referenced_message &&
            Date.parse(m.timestamp) - Date.parse(prev.timestamp) < 7 * 60_000;
          const newDay = !prev || new Date(prev.timestamp).toDateString() !== new Date(m.timestamp).toDateString();
          return (
            <div key={m.nonce && m.pending ? m.nonce : m.id}>
              {newDay && (
                <div className="day-divider">
                  <span>{new Date(m.timestamp).toLocaleDateString(undefined, { year: "numeric", month: "long", day: "numeric" })}</span>
                </div>
              )}
              <MessageItem
                message={m}
                guild={parts}
                grouped={grouped && !newDay}
                perms={props.perms}
                resolver={resolver}
                onReply={props.onReply}
                editing={props.editingId === m.id}
                onEdit={props.onEdit}
              />
            </div>
          );
        })}
      </div>
    </div>
  );
}

function Composer(props: {
  guild: GuildState;
  channel: Channel;
  perms: bigint;
  replyTo: Message | null;
  clearReply: () => void;
  editLast: () => void;
}) {
  const [text, setText] = useState("");
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const canSend = has(props.perms, P.SEND_MESSAGES);

  useEffect(() => {
    setText("");
    input.current?.focus();
  }, [props.channel.id]);
  useEffect(() => {
    if (props.replyTo) input.current?.focus();
  }, [props.replyTo]);

  const submit = () => {
    const content = text.trim();
    if (!content) return;
    setText("");
    setError(null);
    resetTypingThrottle();
    const reply = props.replyTo ?? undefined;
    props.clearReply();
    sendMessage(props.channel.id, content, reply).catch((e) => {
      setError(errorMessage(e));
      setText(content);
    });
  };

  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && props.replyTo) {
      props.clearReply();
    } else if (e.key === "ArrowUp" && text === "") {
      e.preventDefault();
      props.editLast();
    }
  };

  return (
    <div className="composer-area">
      {props.replyTo && (
        <div className="reply-bar" data-testid="reply-bar">
          <span>
            Replying to <strong>{displayName(props.replyTo.author, props.guild.members[props.replyTo.author.id])}</strong>
          </span>
          <button className="icon tiny" aria-label="Cancel reply" onClick={props.clearReply}>
            {Icon.close(14)}
          </button>
        </div>
      )}
      <div className={`composer ${props.replyTo ? "with-reply" : ""}`}>
        <textarea
          ref={input}
          data-testid="composer-input"
          rows={1}
          value={text}
          disabled={!canSend}
          maxLength={2000}
          placeholder={canSend ? `Message #${props.channel.name}` : "You do not have permission to send messages in this channel."}
          onChange={(e) => {
            setText(e.target.value);
            if (e.target.value) typing(props.channel.id);
          }}
          onKeyDown={onKey}
        />
      </div>
      <div className="composer-footer">
        <TypingIndicator guild={props.guild} channelId={props.channel.id} />
        <ErrorText error={error} />
      </div>
    </div>
  );
}

function TypingIndicator({ guild, channelId }: { guild: GuildState; channelId: string }) {
  const typing = useStore((s) => s.typing[channelId]);
  const [now, setNow] = useState(Date.now());
  const active = useMemo(() => Object.entries(typing ?? {}).filter(([, until]) => until > now), [typing, now]);
  // Re-evaluate once a second while someone types so expired indicators go away.
  useEffect(() => {
    if (!typing || Object.keys(typing).length === 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [typing]);
  useEffect(() => setNow(Date.now()), [typing]);
  if (active.length === 0) return <div className="typing" />;
  const names = active.map(([id]) => {
    const m = guild.members[id];
    return m ? displayName(m.user, m) : "Someone";
  });
  const text =
    names.length === 1
      ? `${names[0]} is typing…`
      : names.length <= 3
        ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`
        : "Several people are typing…";
  return (
    <div className="typing" data-testid="typing-indicator">
      <span className="typing-dots"><i /><i /><i /></span>
      {text}
    </div>
  );
}

function PinsPopover({ guild, channel, onClose }: { guild: GuildState; channel: Channel; onClose: () => void }) {
  const [pins, setPins] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const parts = useGuildParts(guild);
  const resolver = useResolver(parts);
  // Re-read when a pin changes in the loaded history (MESSAGE_UPDATE carries `pinned`).
  const pinnedIds = useStore((s) => (s.messages[channel.id]?.list ?? []).filter((m) => m.pinned).map((m) => m.id).join(","));
  useEffect(() => {
    api.pins(channel.id).then(setPins, (e) => setError(errorMessage(e)));
  }, [channel.id, pinnedIds]);
  return (
    <div className="pins-popover" data-testid="pins-popover">
      <header>
        <h3>Pinned Messages</h3>
        <button className="icon tiny" aria-label="Close" onClick={onClose}>{Icon.close(14)}</button>
      </header>
      <ErrorText error={error} />
      {pins?.length === 0 && <p className="muted">This channel doesn't have any pinned messages… yet.</p>}
      {pins?.map((m) => (
        <MessageItem key={m.id} message={m} guild={parts} grouped={false} perms={0n} resolver={resolver} readOnly />
      ))}
    </div>
  );
}
