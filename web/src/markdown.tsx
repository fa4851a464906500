// Discord's message markdown rendered to React elements, never to HTML strings: every piece of
// user text ends up as a text node, so `<img onerror=…>` or `<script>` in a message is shown,
// not run. Supported: ```code blocks```, `code`, **bold**, *italic* / _italic_, __underline__,
// ~~strike~~, ||spoiler||, > quotes, links (http/https only) and mentions (<@id>, <@&id>, <#id>).
import { Fragment, useState, type ReactNode } from "react";

export interface MentionResolver {
  user: (id: string) => string | undefined;
  role: (id: string) => { name: string; color?: string } | undefined;
  channel: (id: string) => string | undefined;
  /** Called when a channel mention is clicked. */
  openChannel?: (id: string) => void;
}

const INLINE =
  /<@!?(\d{1,20})>|<@&(\d{1,20})>|<#(\d{1,20})>|@(everyone|here)\b|(https?:\/\/[^\s<]+[^\s<.,:;"')\]])|\*\*([\s\S]+?\*?)\*\*(?!\*)|__([\s\S]+?)__|\*([^*\s](?:[\s\S]*?[^*\s])?)\*|\b_([^_\s](?:[\s\S]*?[^_\s])?)_\b|~~([\s\S]+?)~~|\|\|([\s\S]+?)\|\||`([^`]+)`/;

function Spoiler({ children }: { children: ReactNode }) {
  const [shown, setShown] = useState(false);
  return (
    <span className={shown ? "spoiler shown" : "spoiler"} onClick={() => setShown(true)}>
      {children}
    </span>
  );
}

function inline(text: string, r: MentionResolver, depth = 0): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let key = 0;
  while (rest.length > 0) {
    const m = depth > 8 ? null : INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const k = key++;
    if (m[1]) {
      const name = r.user(m[1]);
      out.push(<span key={k} className="mention">@{name ?? "unknown-user"}</span>);
    } else if (m[2]) {
      const role = r.role(m[2]);
      out.push(
        <span key={k} className="mention" style={role?.color ? { color: role.color } : undefined}>
          @{role?.name ?? "deleted-role"}
        </span>,
      );
    } else if (m[3]) {
      const id = m[3];
      const name = r.channel(id);
      out.push(
        <span key={k} className="mention channel" onClick={() => name && r.openChannel?.(id)}>
          #{name ?? "unknown"}
        </span>,
      );
    } else if (m[4]) {
      out.push(<span key={k} className="mention">@{m[4]}</span>);
    } else if (m[5]) {
      out.push(
        <a key={k} href={m[5]} target="_blank" rel="noreferrer noopener nofollow">
          {m[5]}
        </a>,
      );
    } else if (m[6] !== undefined) {
      out.push(<strong key={k}>{inline(m[6], r, depth + 1)}</strong>);
    } else if (m[7] !== undefined) {
      out.push(<u key={k}>{inline(m[7], r, depth + 1)}</u>);
    } else if (m[8] !== undefined || m[9] !== undefined) {
      out.push(<em key={k}>{inline(m[8] ?? m[9], r, depth + 1)}</em>);
    } else if (m[10] !== undefined) {
      out.push(<s key={k}>{inline(m[10], r, depth + 1)}</s>);
    } else if (m[11] !== undefined) {
      out.push(<Spoiler key={k}>{inline(m[11], r, depth + 1)}</Spoiler>);
    } else if (m[12] !== undefined) {
      out.push(<code key={k}>{m[12]}</code>);
    }
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

/** Lines starting with "> " become a quote; the others keep their line breaks. */
function blocks(text: string, r: MentionResolver, keyBase: number): ReactNode[] {
  const out: ReactNode[] = [];
  const lines = text.split("\n");
  let quote: string[] = [];
  const flushQuote = () => {
    if (quote.length) {
      out.push(
        <blockquote key={`${keyBase}-q${out.length}`}>{inline(quote.join("\n"), r)}</blockquote>,
      );
      quote = [];
    }
  };
  lines.forEach((line, i) => {
    if (line.startsWith("> ") || line === ">") {
      quote.push(line.slice(2));
      return;
    }
    flushQuote();
    out.push(
      <Fragment key={`${keyBase}-${i}`}>
        {inline(line, r)}
        {i < lines.length - 1 ? "\n" : null}
      </Fragment>,
    );
  });
  flushQuote();
  return out;
}

export function Markdown({ text, resolver }: { text: string; resolver: MentionResolver }) {
  const parts = text.split(/```(?:([a-z0-9+-]{1,20})\n)?([\s\S]*?)```/i);
  // split with two capture groups: [text, lang, code, text, lang, code, ..., text]
  const out: ReactNode[] = [];
  for (let i = 0; i < parts.length; i += 3) {
    if (parts[i]) out.push(...blocks(parts[i], resolver, i));
    if (i + 2 < parts.length) {
      out.push(
        <pre key={`code-${i}`} data-lang={parts[i + 1] || undefined}>
          <code>{parts[i + 2].replace(/^\n/, "")}</code>
        </pre>,
      );
    }
  }
  return <>{out}</>;
}
