import type { User } from "../types";

const PALETTE = ["#5865f2", "#3ba55c", "#faa61a", "#ed4245", "#eb459e", "#9b59b6", "#1abc9c", "#e67e22"];

/** A coloured disc with the user's initial (no avatar uploads yet), with a presence dot. */
export function Avatar({ user, status, size = 32 }: { user: User; status?: string; size?: number }) {
  // Colour from the id so a user keeps theirs everywhere.
  let hash = 0;
  for (const c of user.id) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const color = PALETTE[hash % PALETTE.length];
  const name = user.global_name || user.username || "?";
  return (
    <span className="avatar" style={{ width: size, height: size, background: color, fontSize: size * 0.45 }} aria-hidden="true">
      {[...name][0]?.toUpperCase()}
      {status && <span className={`dot status-dot ${status}`} />}
    </span>
  );
}
