// Builds the web IDE into dist/: index.html, assets/app.js + app.css, Monaco's workers and
// fonts. Everything is bundled from node_modules, so the IDE works with no network access.
//   node build.mjs            production build (minified, with source maps)
//   node build.mjs --dev      unminified
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const assets = join(dist, 'assets');
const dev = process.argv.includes('--dev');

const monacoEsm = 'monaco-editor/esm/vs';
const common = {
  bundle: true,
  minify: !dev,
  sourcemap: dev ? 'inline' : 'linked',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  logLevel: 'warning',
  absWorkingDir: here,
  legalComments: 'linked',
  define: { 'process.env.NODE_ENV': dev ? '"development"' : '"production"' },
};

await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

// Workers: each a self-contained classic script (Worker(url) without type: 'module').
await esbuild.build({
  ...common,
  entryPoints: {
    'editor.worker': `${monacoEsm}/editor/editor.worker.js`,
    'json.worker': `${monacoEsm}/language/json/json.worker.js`,
    'css.worker': `${monacoEsm}/language/css/css.worker.js`,
    'html.worker': `${monacoEsm}/language/html/html.worker.js`,
    'ts.worker': `${monacoEsm}/language/typescript/ts.worker.js`,
  },
  format: 'iife',
  outdir: assets,
  sourcemap: false,
});

await esbuild.build({
  ...common,
  entryPoints: { app: 'src/main.ts' },
  format: 'iife',
  outdir: assets,
  loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
  assetNames: '[name]-[hash]',
});

const hash = async (file) => createHash('sha256').update(await readFile(join(assets, file))).digest('hex').slice(0, 12);
const html = (await readFile(join(here, 'index.html'), 'utf8'))
  .replace('__APP_JS_HASH__', await hash('app.js'))
  .replace('__APP_CSS_HASH__', await hash('app.css'));
await writeFile(join(dist, 'index.html'), html);
console.log(`web IDE built into ${dist}`);
