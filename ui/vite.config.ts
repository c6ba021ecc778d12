/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The Tauri shell serves ui/dist; WebKitGTK is the oldest engine we target, so build for it.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "safari16",
    // Inlined assets would need `data:` sources beyond images; keep every asset a file under 'self'.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.ts"],
  },
});
