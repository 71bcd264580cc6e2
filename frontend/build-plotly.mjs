// `npm run build:plotly`: bundles frontend/plotly-observatory.js with esbuild (pinned in
// package.json) into one minified script that sets window.Plotly, like plotly.min.js does.
import { build } from 'esbuild';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

// plotly.js injects MapLibre's stylesheet from JavaScript (its own build inlines CSS the same way),
// so the bundle stays one file and needs no extra <link>.
const inlineCss = {
  name: 'inline-css',
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await readFile(args.path, 'utf8');
      return {
        contents: `var s=document.createElement('style');s.textContent=${JSON.stringify(css)};` +
          'document.head.appendChild(s);',
        loader: 'js',
      };
    });
  },
};

const version = JSON.parse(readFileSync('node_modules/plotly.js/package.json', 'utf8')).version;
const outfile = 'frontend/dist/plotly-observatory.min.js';
await build({
  entryPoints: ['frontend/plotly-observatory.js'],
  bundle: true,
  minify: true,
  format: 'iife',
  globalName: 'Plotly',
  target: ['es2018'],
  legalComments: 'none',
  banner: { js: `/* plotly.js v${version} (MIT, Plotly, Inc.): core + scatter, bar, choroplethmap, scattermap */` },
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  plugins: [inlineCss],
  outfile,
  logLevel: 'warning',
});
rmSync(outfile.replace(/\.js$/, '.css'), { force: true });
const raw = statSync(outfile).size;
const gz = gzipSync(readFileSync(outfile), { level: 9 }).length;
console.log(`${outfile}: ${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped`);
