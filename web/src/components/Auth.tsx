import { useState, type FormEvent } from "react";
import { api } from "../api";
import { start } from "../actions";
import { errorMessage } from "../hooks";
import { navigate } from "../router";
import { ErrorText } from "./Modal";

/** Login and registration (`/auth/login`, `/auth/register`); `then` is where to go after. */
export function Auth({ mode, then }: { mode: "login" | "register"; then: string }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const register = mode === "register";

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = register ? await api.register(username, password) : await api.login(username, password);
      start(session.token);
      navigate(then, true);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const other = register ? "/login" : "/register";
  return (
    <div className="auth-page">
      <form className="auth-card" onSubmit={submit}>
        <div className="brand">guildhall</div>
        <h1>{register ? "Create an account" : "Welcome back!"}</h1>
        <p className="muted">{register ? "Pick a username to start chatting." : "We're so excited to see you again!"}</p>
        <label>
          {register ? "Username" : "Email or username"}
          <input
            data-testid="auth-username"
            autoFocus
            autoComplete="username"
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            required
          />
        </label>
        <label>
          Password
          <input
            data-testid="auth-password"
            type="password"
            autoComplete={register ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
        </label>
        <ErrorText error={error} testId="auth-error" />
        <button className="primary wide" data-testid="auth-submit" disabled={busy}>
          {register ? "Continue" : "Log In"}
        </button>
        <p className="muted small">
          {register ? "Already have an account? " : "Need an account? "}
          <a
            href={other}
            data-testid="auth-switch"
            onClick={(e) => {
              e.preventDefault();
              setError(null);
              navigate(then === "/channels/@me" ? other : `${other}?next=${encodeURIComponent(then)}`);
            }}
          >
            {register ? "Log in" : "Register"}
          </a>
        </p>
      </form>
    </div>
  );
}
