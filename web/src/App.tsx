import { useEffect } from "react";
import { storedToken } from "./actions";
import { navigate, parse, usePath } from "./router";
import { Auth } from "./components/Auth";
import { InvitePage } from "./components/InvitePage";
import { Layout } from "./components/Layout";

/** Routes by path; signed out, every page but /register is the login (returning after). */
export function App() {
  const route = parse(usePath());
  const signedIn = storedToken() !== null;

  useEffect(() => {
    if (signedIn && (route.kind === "login" || route.kind === "register")) navigate(nextPath(), true);
  }, [signedIn, route.kind]);

  if (!signedIn) {
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
