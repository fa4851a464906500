// Above the user panel while in a call, as in Discord: connection state, where, and the buttons for
// camera, screen share and hanging up.
import { leaveVoice, toggleCamera, toggleScreen, useCall } from "../call";
import { useStore } from "../store";
import { Icon } from "./Icons";

export function CallPanel() {
  const call = useCall((c) => c);
  const where = useStore((s) => {
    const g = call.guildId ? s.guilds[call.guildId] : undefined;
    const c = g && call.channelId ? g.channels[call.channelId] : undefined;
    return c && g ? `${c.name} / ${g.guild.name}` : "";
  });
  if (call.status === "idle") return null;
  const connected = call.status === "connected";
  return (
    <div className="call-panel" data-testid="call-panel">
      <div className="call-info">
        <span className={`call-status ${connected ? "ok" : ""}`} data-testid="call-status">
          {connected ? "Voice Connected" : "Connecting…"}
        </span>
        <span className="call-where">{where}</span>
      </div>
      <div className="call-buttons">
        <button
          className={`icon ${call.camera ? "active" : ""}`}
          data-testid="voice-camera"
          title={call.camera ? "Turn Off Camera" : "Turn On Camera"}
          aria-pressed={call.camera}
          disabled={!connected}
          onClick={() => void toggleCamera()}
        >
          {Icon.camera(18)}
        </button>
        <button
          className={`icon ${call.screen ? "active" : ""}`}
          data-testid="voice-screen"
          title={call.screen ? "Stop Sharing" : "Share Your Screen"}
          aria-pressed={call.screen}
          disabled={!connected}
          onClick={() => void toggleScreen()}
        >
          {Icon.screen(18)}
        </button>
        <button className="icon hang" data-testid="voice-disconnect" title="Disconnect" onClick={leaveVoice}>
          {Icon.hangup(18)}
        </button>
      </div>
    </div>
  );
}
