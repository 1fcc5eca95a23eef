// Builds the tracegraph web UI and GraphiQL into the Python package (api/web_assets),
// so `pip install` ships them and `tracegraph serve` needs neither Node nor a CDN.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: resolve(import.meta.dirname, "../api/web_assets"),
    emptyOutDir: true,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
    modulePreload: { polyfill: false },
    rollupOptions: {
      onwarn(warning, warn) {
        // GraphiQL's React dependencies carry "use client" markers, meaningless in a bundle
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        index: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
    },
  },
});
