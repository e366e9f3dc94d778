// Vite config of the mcutune dashboard (docs/dashboard.md). `npm run build`
// writes dist/ (CMake passes --outDir <build>/web/dist); `npx vite` serves
// the sources with /api and /healthz proxied to a daemon on
// $MCUTUNE_HTTP (default 127.0.0.1:8080).
import { defineConfig } from 'vite';

const daemon = `http://${process.env.MCUTUNE_HTTP ?? '127.0.0.1:8080'}`;

export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    target: 'es2022',
    chunkSizeWarningLimit: 1500,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': daemon, '/healthz': daemon },
  },
});
