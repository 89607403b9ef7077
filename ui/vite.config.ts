/**
 * Vite (build + dev server) and Vitest (component tests) for the web UI. The build goes to
 * `<repo>/dist/ui`, which the Coffer server serves at `/ui/` (src/api/ui).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

const uiRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: uiRoot,
  base: '/ui/',
  // Caches go to the repository's node_modules, not ui/ (whose mtimes say whether dist/ui is stale).
  cacheDir: fileURLToPath(new URL('../node_modules/.vite', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    // The strict CSP allows no inline script: keep Vite from inlining anything.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `npx vite --config ui/vite.config.ts`: the page at http://localhost:5173/ui/, the API proxied to a dev server.
    proxy: { '/v1': process.env.COFFER_ADDR ?? 'http://127.0.0.1:8200' },
  },
  test: {
    root: uiRoot,
    environment: 'jsdom',
    include: ['src/**/*.test.tsx', 'src/**/*.test.ts'],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
