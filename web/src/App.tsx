import { useEffect, useState } from "react";
import { setToken } from "./api";
import { start, storedToken } from "./actions";
import { navigate, parse, usePath } from "./router";
import { useStore } from "./store";
import { Auth } from "./components/Auth";
import { InvitePage } from "./components/InvitePage";
import { Layout } from "./components/Layout";

export function App() {
  const path = usePath();
  const route = parse(path);
  const [token] = useState(() => {
    const t = storedToken();
    if (t) {
      setToken(t);
      start(t);
    }
    return t;
  });
  const loggedIn = useStore((s) => s.me !== null) || (token !== null && storedToken() !== null);

  useEffect(() => {
    if (loggedIn && (route.kind === "login" || route.kind === "register")) {
      navigate(new URLSearchParams(location.search).get("next") ?? "/channels/@me", true);
    }
  }, [loggedIn, route.kind]);

  if (!storedToken()) {
    if (route.kind === "register") return <Auth mode="register" then={nextPath()} />;
    if (route.kind === "invite") return <Auth mode="login" then={`/invite/${encodeURIComponent(route.code)}`} />;
    return <Auth mode="login" then={nextPath()} />;
  }
  if (route.kind === "invite") return <InvitePage code={route.code} />;
  if (route.kind === "login" || route.kind === "register") return null;
  return <Layout guildId={route.guildId} channelId={route.channelId} />;
}

function nextPath(): string {
  const next = new URLSearchParams(location.search).get("next");
  // Only same-site paths: `next` comes from the address bar.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/channels/@me";
}
