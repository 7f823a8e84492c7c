/**
 * `npm run build:wasm [-- --force]`: compiles assembly/ to build/release.wasm and build/debug.wasm
 * with asc, each only when it is older than its inputs (assembly/, asconfig.json, the compiler).
 * The two asc runs take 10–20 s on a shared 2-core machine; a benchmark re-run after a TypeScript
 * change (`npm run bench:load` builds first) should not pay them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const force = process.argv.includes('--force');

function newestIn(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestIn(p) : statSync(p).mtimeMs);
  }
  return t;
}

const inputs = Math.max(
  newestIn(join(root, 'assembly')),
  statSync(join(root, 'asconfig.json')).mtimeMs,
  statSync(join(root, 'node_modules/assemblyscript/package.json')).mtimeMs,
);
for (const target of ['release', 'debug']) {
  const out = join(root, 'build', `${target}.wasm`);
  if (!force && existsSync(out) && statSync(out).mtimeMs >= inputs) {
    console.log(`build/${target}.wasm is up to date`);
    continue;
  }
  execFileSync(process.execPath, [join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--target', target], { cwd: root, stdio: 'inherit' });
}
