/**
 * Builds the notes view (./view/) into one self-contained HTML document, public/apps/notes.html:
 * view.ts bundled and minified by esbuild, view.css minified, both inlined into view.html. Nothing
 * is left to load from elsewhere, as the view's CSP metadata promises (./index.ts).
 *
 *   node src/features/notes/app/build.ts           writes public/apps/notes.html if it changed
 *   node src/features/notes/app/build.ts --check   exit 1 if the committed file is not what the source builds
 *
 * `npm run dev` and `npm run deploy` run it first (`predev`, `predeploy`); the file is committed,
 * so `wrangler` alone, the tests and Cloudflare's Git builds serve it as is, and the notes-app
 * end-to-end test fails when it is stale. Node 22 runs this file as is (type stripping).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

type Esbuild = typeof import('esbuild');

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../../..');
const view = join(here, 'view');
export const VIEW_OUTPUT = join(root, 'public/apps/notes.html');

// esbuild comes with wrangler (the version wrangler pins), not as a dependency of our own.
const require = createRequire(import.meta.url);
const esbuild = require(
  createRequire(require.resolve('wrangler/package.json')).resolve('esbuild'),
) as Esbuild;

/** The view as one HTML document. */
export async function buildView(): Promise<string> {
  const bundle = await esbuild.build({
    entryPoints: [join(view, 'view.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]?.text.trim() ?? '';
  if (/<\/script/i.test(script)) throw new Error('view.ts must not contain "</script" (it is inlined).');
  const styles = await esbuild.transform(readFileSync(join(view, 'view.css'), 'utf8'), {
    loader: 'css',
    minify: true,
  });
  const template = readFileSync(join(view, 'view.html'), 'utf8');
  const source = relative(root, here);
  // Functions as replacements: a `$` in the code must stay as it is.
  return template
    .replace(
      '<!doctype html>\n',
      () =>
        `<!doctype html>\n<!-- Built from ${source}/view/ by ${source}/build.ts (npm run build:views): edit those, not this file. -->\n`,
    )
    .replace('<style>/* view.css */</style>', () => `<style>${styles.code.trim()}</style>`)
    .replace('<script>/* view.ts */</script>', () => `<script>${script}</script>`);
}

async function main(): Promise<void> {
  const built = await buildView();
  let committed = '';
  try {
    committed = readFileSync(VIEW_OUTPUT, 'utf8');
  } catch {}
  if (process.argv.includes('--check')) {
    if (built === committed) return;
    process.stderr.write(
      `${relative(root, VIEW_OUTPUT)} is not what ${relative(root, view)}/ builds: run npm run build:views and commit it.\n`,
    );
    process.exitCode = 1;
    return;
  }
  if (built !== committed) writeFileSync(VIEW_OUTPUT, built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
