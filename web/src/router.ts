// A few client-side routes, Discord's: /login, /register, /invite/CODE, /channels/GUILD/CHANNEL.
import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
addEventListener("popstate", () => listeners.forEach((l) => l()));

export function navigate(path: string, replace = false) {
  if (path === location.pathname) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  listeners.forEach((l) => l());
}

export function usePath(): string {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => location.pathname,
  );
}

export type Route =
  | { kind: "login" }
  | { kind: "register" }
  | { kind: "invite"; code: string }
  | { kind: "channels"; guildId: string | null; channelId: string | null };

export function parse(path: string): Route {
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "login") return { kind: "login" };
  if (parts[0] === "register") return { kind: "register" };
  if (parts[0] === "invite" && parts[1]) return { kind: "invite", code: decodeURIComponent(parts[1]) };
  if (parts[0] === "channels" && parts[1] && parts[1] !== "@me") {
    return { kind: "channels", guildId: parts[1], channelId: parts[2] ?? null };
  }
  return { kind: "channels", guildId: null, channelId: null };
}
