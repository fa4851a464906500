import { useEffect, useState } from "react";
import { api } from "../api";
import { waitForGuild } from "../actions";
import { errorMessage } from "../hooks";
import { navigate } from "../router";
import type { Invite } from "../types";
import { ErrorText } from "./Modal";

/** `/invite/CODE`: who invites where, and the button to join (POST /invites/CODE). */
export function InvitePage({ code }: { code: string }) {
  const [invite, setInvite] = useState<Invite | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.invite(code).then(setInvite, (e) => setError(errorMessage(e)));
  }, [code]);

  const accept = async () => {
    setBusy(true);
    try {
      const joined = await api.acceptInvite(code);
      if (joined.guild) await waitForGuild(joined.guild.id);
      navigate(`/channels/${joined.guild?.id}/${joined.channel?.id ?? ""}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  return (
    <div className="auth-page">
      <div className="auth-card invite-card">
        {invite ? (
          <>
            <p className="muted">{invite.inviter ? `${invite.inviter.global_name ?? invite.inviter.username} invited you to join` : "You've been invited to join"}</p>
            <div className="invite-guild">
              <div className="guild-icon big">{initials(invite.guild?.name ?? "?")}</div>
              <h1>{invite.guild?.name}</h1>
            </div>
            {invite.approximate_member_count !== undefined && (
              <p className="muted small">
                <span className="dot online" /> {invite.approximate_presence_count ?? 0} Online{"  "}
                <span className="dot offline" /> {invite.approximate_member_count} Members
              </p>
            )}
            <button className="primary wide" data-testid="invite-accept" disabled={busy} onClick={accept}>
              Accept Invite
            </button>
          </>
        ) : (
          !error && <p className="muted">Loading invite…</p>
        )}
        <ErrorText error={error} />
        <a href="/channels/@me" className="small" onClick={(e) => { e.preventDefault(); navigate("/channels/@me"); }}>
          Back to guildhall
        </a>
      </div>
    </div>
  );
}

export function initials(name: string): string {
  return name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 3)
    .map((w) => [...w][0])
    .join("");
}
