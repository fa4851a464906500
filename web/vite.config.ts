import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run build` writes web/dist; the guildhall build script passes --outDir into its OUT_DIR
// and embeds the result. `npm run dev` proxies the API and gateway to a local `guildhall serve`.
export default defineConfig({
  plugins: [react()],
  build: { target: "es2022", sourcemap: false, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8080",
      "/gateway": { target: "ws://127.0.0.1:8080", ws: true },
    },
  },
});
