import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, wranglerEnv } from './server.mjs';

/** Every file under `dir`, recursively. */
function filesUnder(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/**
 * The deploy bundle of a Worker: `wrangler deploy --dry-run --outdir <tmp>`, then the raw and
 * gzip (level 9) sizes in bytes of the JavaScript modules it wrote (source maps excluded), and
 * the sizes wrangler itself printed, for reference. `cwd`: the checkout to build (the baseline's
 * worktree for `--baseline`).
 */
export async function bundleSize(config, cwd = ROOT) {
  const outdir = mkdtempSync(join(tmpdir(), 'bench-bundle-'));
  try {
    const args = ['deploy', '--dry-run', '--outdir', outdir];
    if (config) args.push('--config', config);
    const output = await new Promise((resolve, reject) => {
      execFile(
        join(ROOT, 'node_modules/.bin/wrangler'),
        args,
        { cwd, env: wranglerEnv(), timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error)
            reject(new Error(`wrangler deploy --dry-run failed: ${error.message}\n${stdout}${stderr}`));
          else resolve(`${stdout}${stderr}`);
        },
      );
    });
    const modules = filesUnder(outdir).filter((path) => /\.(m?js|cjs)$/.test(path));
    if (modules.length === 0) throw new Error(`wrangler deploy --dry-run wrote no JavaScript to ${outdir}`);
    let raw = 0;
    let gzip = 0;
    for (const path of modules) {
      const bytes = readFileSync(path);
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: 9 }).length;
    }
    const printed = /Total Upload:\s*([\d.]+)\s*KiB\s*\/\s*gzip:\s*([\d.]+)\s*KiB/.exec(output);
    return {
      raw,
      gzip,
      modules: modules.map((path) => path.slice(outdir.length + 1)),
      wranglerReportedKiB: printed ? { raw: Number(printed[1]), gzip: Number(printed[2]) } : null,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
