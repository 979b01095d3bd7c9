/**
 * `npm run lint` runs this after Biome: no import cycles in src/ (type-only imports included),
 * so that a request's way through the code reads top to bottom and any module can be loaded on
 * its own. And features stay removable: a module of a feature's folder (`src/features/<name>/`)
 * is imported only from its own folder, the registry (`src/features/index.ts`) and `src/index.ts`
 * (which exports its Durable Objects), so deleting the folder and those lines leaves nothing
 * broken. Exit 1 with every cycle printed as a chain of files, and every such import.
 *
 *   node scripts/check-imports.ts [dir]     (src by default)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

const root = process.argv[2] ?? 'src';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module a relative specifier names, as the bundler resolves it, or `null` for a package. */
function resolve(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const base = normalize(join(dirname(from), specifier));
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Every `import … from '…'` and `export … from '…'` of a file, `import type` included. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = new Set<string>();
  for (const match of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gms)) {
    const target = match[1] ? resolve(file, match[1]) : null;
    if (target) found.add(target);
  }
  return [...found];
}

const graph = new Map(sourceFiles(root).map((file) => [file, importsOf(file)]));

/** Cycles by depth-first search: each back edge closes one, reported once per set of files. */
function cycles(): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = path.slice(path.indexOf(next));
        found.set([...cycle].sort().join('|'), [...cycle, next]);
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return [...found.values()];
}

/** `features/<name>` for a module of a feature's folder, else `null`. */
function featureOf(file: string): string | null {
  const [top, name, ...rest] = relative(root, file).split(sep);
  return top === 'features' && name !== undefined && rest.length > 0 ? `features${sep}${name}` : null;
}

/** Imports of a feature's modules from outside its folder, other than the registry's and src/index.ts's. */
function featureLeaks(): string[] {
  const allowed = new Set([join(root, 'features', 'index.ts'), join(root, 'index.ts')]);
  const leaks: string[] = [];
  for (const [file, imports] of graph) {
    if (allowed.has(file)) continue;
    for (const target of imports) {
      const feature = featureOf(target);
      if (feature !== null && featureOf(file) !== feature) {
        leaks.push(`${relative(root, file)} → ${relative(root, target)}`);
      }
    }
  }
  return leaks;
}

const found = cycles();
if (found.length > 0) {
  console.error(
    `Import cycles in ${root}/ (break each: move what both sides need into a module of its own):`,
  );
  for (const cycle of found) console.error(`  ${cycle.map((file) => relative(root, file)).join(' → ')}`);
}
const leaks = featureLeaks();
if (leaks.length > 0) {
  console.error(
    `Modules of a feature imported from outside it (only its folder, ${root}/features/index.ts and ${root}/index.ts may; move what others need out of the feature):`,
  );
  for (const leak of leaks) console.error(`  ${leak}`);
}
if (found.length > 0 || leaks.length > 0) process.exit(1);
console.log(
  `No import cycles in ${root}/ (${graph.size} files), and every feature is imported only by the registry.`,
);
