import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The production bundle runs the UI on Preact's React compatibility layer: the same components and
 * hooks, ~180 KB less script than react-dom, which is what a phone on a slow network waits for before
 * the inbox shows (docs/BENCHMARKS.md, bench:admin-inbox). Development and the component tests
 * (vitest) keep React itself; the browser tests in test/browser and test/cockpit run the built bundle.
 */
const PREACT_FOR_REACT = {
  'react-dom/client': 'preact/compat/client',
  'react-dom/test-utils': 'preact/test-utils',
  'react-dom': 'preact/compat',
  'react/jsx-runtime': 'preact/jsx-runtime',
  'react/jsx-dev-runtime': 'preact/jsx-runtime',
  react: 'preact/compat',
};

// JSX through Vite's built-in Oxc transform (automatic runtime), no React plugin needed.
export default defineConfig(({ command }) => ({
  root: here,
  base: '/admin/',
  oxc: { jsx: { runtime: 'automatic' } },
  resolve: {
    alias: [
      // Types only (import type): nothing of it is bundled; the alias resolves it should a plain import slip in.
      { find: '@leadline/contracts', replacement: fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)) },
      ...(command === 'build' && process.env.ADMIN_REACT !== '1' ? Object.entries(PREACT_FOR_REACT).map(([find, replacement]) => ({ find: new RegExp(`^${find}$`), replacement })) : []),
    ],
  },
  plugins: [precompress()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/admin', import.meta.url)),
    emptyOutDir: true,
    // Everything from files: the hub's Content-Security-Policy allows no inline script or style.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
}));

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;
// Below this a compressed copy saves less than the bytes of a header or two.
const MIN_BYTES = 1024;

/**
 * Writes `.br` (brotli, max quality) and `.gz` (gzip -9) beside every text file of the build, once,
 * so the hub serves them as they are (@fastify/static `preCompressed`) without compressing per request.
 */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'leadline-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    closeBundle() {
      for (const file of walk(outDir)) {
        if (!COMPRESSIBLE.test(file)) continue;
        const raw = readFileSync(file);
        if (raw.length < MIN_BYTES) continue;
        writeFileSync(`${file}.br`, brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }));
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
      }
    },
  };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}