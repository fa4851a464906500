// A voice channel in the main area (Discord's call view): who is in it as a grid of tiles, with
// speaking rings and mute marks; a tile plays a participant's camera, and a screen share gets a tile
// of its own. "Join Voice" when this browser is not in the channel.
import { useEffect, useRef } from "react";
import { joinVoice, mediaOf, useCall } from "../call";
import type { Kind } from "../call/slots";
import type { GuildState } from "../store";
import { useStore } from "../store";
import { displayName, type Channel, type VoiceState } from "../types";
import { Avatar } from "./Avatar";
import { Icon } from "./Icons";

export function VoiceView({ guild, channel }: { guild: GuildState; channel: Channel }) {
  const call = useCall((c) => c);
  const here = call.channelId === channel.id && call.status !== "idle";
  const states = Object.values(guild.voice).filter((v) => v.channel_id === channel.id);
  return (
    <main className="voice-view" data-testid="voice-view">
      <header className="channel-header">
        <span className="channel-glyph">{Icon.speaker(22)}</span>
        <h2>{channel.name}</h2>
      </header>
      <div className="voice-stage">
        {here ? (
          <div className="voice-grid" data-testid="voice-grid">
            {states.flatMap((v) => tiles(guild, v, call.speaking.includes(v.user_id), call.version))}
          </div>
        ) : (
          <div className="voice-join">
            <p className="voice-count">{states.length ? `${states.length} in voice` : "No one is here yet"}</p>
            <button className="primary" data-testid="voice-join" onClick={() => joinVoice(guild.guild.id, channel.id)}>
              Join Voice
            </button>
          </div>
        )}
      </div>
    </main>
  );
}

function tiles(guild: GuildState, v: VoiceState, speaking: boolean, version: number) {
  const member = guild.members[v.user_id] ?? v.member;
  const name = member ? displayName(member.user, member) : "Someone";
  const out = [
    <Tile key={`${v.user_id}-video`} userId={v.user_id} kind="video" on={Boolean(v.self_video)} name={name} speaking={speaking} version={version}>
      {member && <Avatar user={member.user} size={80} />}
      {(v.mute || v.self_mute) && <span className="tile-flag" title="Muted">{Icon.micOff(16)}</span>}
    </Tile>,
  ];
  if (v.self_stream) {
    out.push(<Tile key={`${v.user_id}-screen`} userId={v.user_id} kind="screen" on name={`${name} (screen)`} speaking={false} version={version} />);
  }
  return out;
}

function Tile(props: { userId: string; kind: Kind; on: boolean; name: string; speaking: boolean; version: number; children?: React.ReactNode }) {
  const video = useRef<HTMLVideoElement>(null);
  const stream = props.on ? mediaOf(props.userId, props.kind) : null;
  useEffect(() => {
    if (video.current && video.current.srcObject !== stream) video.current.srcObject = stream;
  }, [stream, props.version]);
  const me = useStore((s) => s.me?.id);
  return (
    <div className={`voice-tile ${props.speaking ? "speaking" : ""}`} data-testid="voice-tile" data-user-id={props.userId} data-kind={props.kind}>
      {stream ? (
        <video ref={video} autoPlay playsInline muted data-testid="voice-video" data-kind={props.kind} className={props.userId === me && props.kind === "video" ? "mirror" : ""} />
      ) : (
        <div className="tile-avatar">{props.children}</div>
      )}
      <span className="tile-name">{props.name}</span>
    </div>
  );
}
