import { useEffect, useRef, useState } from "react";
import { logout, setStatus } from "../actions";
import { toggleDeafen, toggleMute, useCall } from "../call";
import { useStore } from "../store";
import type { Status } from "../types";
import { Avatar } from "./Avatar";
import { Icon } from "./Icons";

const STATUSES: { status: Status; label: string; hint?: string }[] = [
  { status: "online", label: "Online" },
  { status: "idle", label: "Idle" },
  { status: "dnd", label: "Do Not Disturb", hint: "You will not receive desktop notifications" },
  { status: "invisible", label: "Invisible", hint: "You will appear offline" },
];

/** Bottom of the channel column: who I am, my status picker, log out. */
export function UserPanel() {
  const me = useStore((s) => s.me);
  const status = useStore((s) => s.status);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const muted = useCall((c) => c.muted);
  const deafened = useCall((c) => c.deafened);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    addEventListener("mousedown", onDown);
    return () => removeEventListener("mousedown", onDown);
  }, [open]);
  if (!me) return <div className="user-panel" />;
  return (
    <div className="user-panel" ref={ref}>
      <button className="me" data-testid="status-button" title="Set status" onClick={() => setOpen(!open)}>
        <Avatar user={me} status={status === "invisible" ? "offline" : status} />
        <span className="me-names">
          <span className="me-name">{me.global_name ?? me.username}</span>
          <span className="me-status">{STATUSES.find((s) => s.status === status)?.label}</span>
        </span>
      </button>
      <button className={`icon ${muted ? "off" : ""}`} title={muted ? "Unmute" : "Mute"} aria-pressed={muted} data-testid="voice-mute" onClick={toggleMute}>
        {muted ? Icon.micOff(18) : Icon.mic(18)}
      </button>
      <button className={`icon ${deafened ? "off" : ""}`} title={deafened ? "Undeafen" : "Deafen"} aria-pressed={deafened} data-testid="voice-deafen" onClick={toggleDeafen}>
        {deafened ? Icon.headphonesOff(18) : Icon.headphones(18)}
      </button>
      <button className="icon" title="Log Out" aria-label="Log Out" data-testid="logout" onClick={logout}>
        {Icon.logout()}
      </button>
      {open && (
        <div className="status-menu" role="menu">
          {STATUSES.map((s) => (
            <button
              key={s.status}
              role="menuitem"
              data-testid={`status-${s.status}`}
              className={s.status === status ? "current" : ""}
              onClick={() => {
                setStatus(s.status);
                setOpen(false);
              }}
            >
              <span className={`dot ${s.status === "invisible" ? "offline" : s.status}`} />
              <span>
                {s.label}
                {s.hint && <small>{s.hint}</small>}
              </span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
