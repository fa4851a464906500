import { useState, type FormEvent } from "react";
import { api } from "../api";
import { waitForGuild } from "../actions";
import { errorMessage } from "../hooks";
import { navigate } from "../router";
import { useStore } from "../store";
import { initials } from "./InvitePage";
import { ErrorText, Modal } from "./Modal";
import { Icon } from "./Icons";

export function GuildRail({ selected }: { selected: string | null }) {
  const order = useStore((s) => s.guildOrder);
  const guilds = useStore((s) => s.guilds);
  const [adding, setAdding] = useState(false);

  return (
    <nav className="guild-rail" data-testid="guild-rail" aria-label="Servers">
      <button
        className={`guild-icon home-icon ${selected === null ? "selected" : ""}`}
        aria-label="Home"
        title="Home"
        onClick={() => navigate("/channels/@me")}
      >
        {Icon.home(26)}
      </button>
      <div className="rail-separator" />
      {order.map((id) => {
        const g = guilds[id];
        const name = g?.guild.name ?? "…";
        return (
          <div className="rail-item" key={id}>
            <span className={`pill ${selected === id ? "selected" : ""}`} />
            <button
              className={`guild-icon ${selected === id ? "selected" : ""}`}
              data-testid="guild-item"
              data-guild-id={id}
              aria-label={name}
              title={name}
              onClick={() => navigate(`/channels/${id}`)}
            >
              {initials(name)}
            </button>
          </div>
        );
      })}
      <button className="guild-icon add" data-testid="guild-create" aria-label="Add a Server" title="Add a Server" onClick={() => setAdding(true)}>
        {Icon.plus(24)}
      </button>
      {adding && <AddGuild onClose={() => setAdding(false)} />}
    </nav>
  );
}

function AddGuild({ onClose }: { onClose: () => void }) {
  const me = useStore((s) => s.me);
  const [name, setName] = useState(`${me?.global_name ?? me?.username ?? "My"}'s server`);
  const [invite, setInvite] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    try {
      const guild = await api.createGuild(name.trim());
      await waitForGuild(guild.id);
      onClose();
      navigate(`/channels/${guild.id}`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const join = (event: FormEvent) => {
    event.preventDefault();
    // Accepts a full link (…/invite/CODE) or the bare code.
    const code = invite.trim().split("/").filter(Boolean).pop();
    if (!code) return;
    onClose();
    navigate(`/invite/${encodeURIComponent(code)}`);
  };

  return (
    <Modal title="Create a server" onClose={onClose}>
      <form className="modal-body" onSubmit={create}>
        <p className="muted">Your server is where you and your friends hang out. Make yours and start talking.</p>
        <label>
          Server name
          <input data-testid="create-guild-name" autoFocus value={name} onChange={(e) => setName(e.target.value)} maxLength={100} required />
        </label>
        <ErrorText error={error} />
        <button className="primary wide" data-testid="create-guild-submit" disabled={busy || !name.trim()}>
          Create
        </button>
      </form>
      <form className="modal-body separated" onSubmit={join}>
        <h3>Have an invite already?</h3>
        <label>
          Invite link
          <input data-testid="join-invite" placeholder="http://…/invite/hTKzmak" value={invite} onChange={(e) => setInvite(e.target.value)} />
        </label>
        <button className="secondary wide" disabled={!invite.trim()}>
          Join Server
        </button>
      </form>
    </Modal>
  );
}
