import { defineConfig } from 'vite';

// The collector serves dist/index.html at `/` and dist/assets/* (content-hashed, cached for a year).
// Nothing inline: the page runs under a Content-Security-Policy without 'unsafe-inline'.
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: true,
  },
});
