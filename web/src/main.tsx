import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { setToken } from "./api";
import { start, storedToken } from "./actions";
import { App } from "./App";
import "./styles.css";

// A stored login connects at once, before the first render.
const token = storedToken();
if (token) {
  setToken(token);
  start(token);
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
