import { useEffect } from "react";
import { permissionsIn, useGuild } from "../hooks";
import { has, P } from "../permissions";
import { navigate } from "../router";
import { useStore } from "../store";
import { ChannelType } from "../types";
import { GuildRail } from "./GuildRail";
import { Sidebar } from "./Sidebar";
import { ChannelView } from "./ChannelView";
import { MemberList } from "./MemberList";
import { VoiceView } from "./VoiceView";

/** Discord's four columns: guilds, channels, messages, members. */
export function Layout({ guildId, channelId }: { guildId: string | null; channelId: string | null }) {
  const g = useGuild(guildId);
  const me = useStore((s) => s.me);
  const connection = useStore((s) => s.connection);
  // Known once READY listed it; a guild id the user is not in stays unknown.
  const known = useStore((s) => guildId === null || s.guildOrder.includes(guildId));

  const channel = g && channelId ? g.channels[channelId] : undefined;
  const visible =
    g && me && channel ? has(permissionsIn(g, channel, me.id), P.VIEW_CHANNEL) : false;

  // No channel chosen (or it vanished): open the first text channel this user can see.
  useEffect(() => {
    if (!g || !me || (channel && visible)) return;
    const first = Object.values(g.channels)
      .filter((c) => c.type === ChannelType.GuildText)
      .filter((c) => has(permissionsIn(g, c, me.id), P.VIEW_CHANNEL))
      .sort((a, b) => (a.position ?? 0) - (b.position ?? 0))[0];
    navigate(`/channels/${g.guild.id}/${first?.id ?? ""}`, true);
  }, [g, me, channel, visible]);

  return (
    <div className="layout">
      {connection !== "ready" && (
        <div className="connection-banner" data-testid="connection-banner">
          {connection === "resuming" ? "Reconnecting…" : connection === "disconnected" ? "Connection lost, retrying…" : "Connecting…"}
        </div>
      )}
      <GuildRail selected={guildId} />
      <Sidebar guild={g} channelId={channelId} />
      {g && channel && visible ? (
        <>
          {channel.type === ChannelType.GuildVoice ? <VoiceView guild={g} channel={channel} /> : <ChannelView guild={g} channel={channel} />}
          <MemberList guild={g} />
        </>
      ) : (
        <Home loading={Boolean(guildId) && !g && (known || me === null)} missing={Boolean(guildId) && me !== null && !known} />
      )}
    </div>
  );
}

function Home({ loading, missing }: { loading: boolean; missing: boolean }) {
  return (
    <main className="home">
      {loading ? (
        <p className="muted">Loading…</p>
      ) : missing ? (
        <div className="home-card">
          <h1>Not here</h1>
          <p className="muted">This server does not exist, or you are not a member of it.</p>
        </div>
      ) : (
        <div className="home-card">
          <h1>Welcome to guildhall</h1>
          <p className="muted">Create a guild with the + in the left rail, or open an invite link a friend sent you.</p>
        </div>
      )}
    </main>
  );
}
