// `npm run build:plotly`: the observatory's plotly.js, from the npm package plotly.js (pinned in
// package.json) with its documented partial-bundle registration (lib/core + Plotly.register),
// bundled by esbuild (pinned). Three scripts in frontend/dist/ (observatory/plotlyjs.py serves them):
//
//   plotly-page.min.js        core + scatter + bar, and a loader for the map traces  (the page, embeds)
//   plotly-map.min.js         choroplethmap + scattermap + MapLibre, loaded when a map is drawn
//   plotly-observatory.min.js all four traces in one file                           (kaleido exports)
//
// plotly-map.min.js reuses every plotly.js module plotly-page.min.js holds: the page bundle records
// each of its plotly.js/src modules in window.__plotlySrc, and the map bundle is built with those
// modules replaced by a lookup there, so both scripts share one registry and one set of plots.
import { build } from 'esbuild';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const root = process.cwd();
const src = path.join(root, 'node_modules', 'plotly.js', 'src') + path.sep;
const version = JSON.parse(readFileSync('node_modules/plotly.js/package.json', 'utf8')).version;
const rel = (file) => path.relative(src, file).split(path.sep).join('/');

// plotly.js injects MapLibre's stylesheet from JavaScript (its own build inlines CSS the same way),
// so each bundle stays one file and needs no extra <link>.
const inlineCss = {
  name: 'inline-css',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => ({
      contents:
        `var s=document.createElement('style');s.textContent=${JSON.stringify(await readFile(args.path, 'utf8'))};` +
        'document.head.appendChild(s);',
      loader: 'js',
    }));
  },
};

// The page bundle: MapLibre's stylesheet is the map bundle's (registry.js asks for it on registering
// a map trace), and every plotly.js module is recorded for the map bundle to share.
const recordModules = {
  name: 'record-modules',
  setup(b) {
    b.onResolve({ filter: /maplibre-gl\.css$/ }, () => ({ path: 'maplibre-css', namespace: 'empty' }));
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: '', loader: 'js' }));
    b.onLoad({ filter: /plotly\.js[\\/]src[\\/].*\.js$/ }, async (args) => ({
      contents:
        (await readFile(args.path, 'utf8')) +
        `\n;(window.__plotlySrc||(window.__plotlySrc={}))[${JSON.stringify(rel(args.path))}]=module.exports;\n`,
      loader: 'js',
    }));
  },
};

function shareModules(held) {
  return {
    name: 'share-modules',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'inner' || args.kind === 'entry-point') return undefined;
        const found = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, pluginData: 'inner' });
        if (found.errors.length || !found.path.startsWith(src) || !held.has(rel(found.path))) return undefined;
        return { path: rel(found.path), namespace: 'plotly-page' };
      });
      b.onLoad({ filter: /.*/, namespace: 'plotly-page' }, (args) => ({
        contents: `module.exports = window.__plotlySrc[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}

const common = {
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2018'],
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"', global: 'window', 'define.amd': 'false' },
  logLevel: 'warning',
};
const banner = (what) => ({ js: `/* plotly.js v${version} (MIT, Plotly, Inc.): ${what}; built by frontend/build-plotly.mjs */` });

const page = await build({
  ...common,
  entryPoints: ['frontend/plotly-page.js'],
  globalName: 'Plotly',
  banner: banner('core + scatter + bar, map traces loaded on demand'),
  plugins: [recordModules],
  metafile: true,
  outfile: 'frontend/dist/plotly-page.min.js',
});
const held = new Set(
  Object.keys(page.metafile.inputs)
    .map((file) => path.resolve(root, file))
    .filter((file) => file.startsWith(src))
    .map(rel),
);
await build({
  ...common,
  entryPoints: ['frontend/plotly-map.js'],
  banner: banner('choroplethmap + scattermap, for plotly-page.min.js'),
  plugins: [shareModules(held), inlineCss],
  outfile: 'frontend/dist/plotly-map.min.js',
});
await build({
  ...common,
  entryPoints: ['frontend/plotly-observatory.js'],
  globalName: 'Plotly',
  banner: banner('core + scatter, bar, choroplethmap, scattermap'),
  plugins: [inlineCss],
  outfile: 'frontend/dist/plotly-observatory.min.js',
});

for (const name of ['plotly-page', 'plotly-map', 'plotly-observatory']) {
  const file = `frontend/dist/${name}.min.js`;
  rmSync(file.replace(/\.js$/, '.css'), { force: true });
  const gz = gzipSync(readFileSync(file), { level: 9 }).length;
  console.log(`${file}: ${(statSync(file).size / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped`);
}
