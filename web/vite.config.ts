import { defineConfig, type Plugin } from 'vite';

// The server serves web/dist at `/`; asset URLs stay relative so the bundle works from any mount.
// `npm run dev` proxies the API to a running `rapport serve` (RAPPORT_URL, default :8080).
const apiTarget = process.env.RAPPORT_URL ?? 'http://127.0.0.1:8080';

// A strict Content-Security-Policy for the built page only: the dev server injects inline styles.
function contentSecurityPolicy(): Plugin {
  const policy = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
  return {
    name: 'rapport-csp',
    apply: 'build',
    transformIndexHtml(html) {
      // Right after <meta charset>, before anything the policy must cover.
      const charset = '<meta charset="utf-8" />';
      if (!html.includes(charset)) throw new Error('index.html lost its <meta charset>');
      return html.replace(charset, `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
    },
  };
}

export default defineConfig({
  base: './',
  plugins: [contentSecurityPolicy()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/readyz': { target: apiTarget },
    },
  },
});
