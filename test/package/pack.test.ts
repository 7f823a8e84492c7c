/**
 * The package as a user gets it: `npm pack`, then the tarball installed into an empty project
 * without the network (npm's cache already holds the dependencies' tarballs), imported as 'wirerelay', run as
 * `npx wirerelay`, and the README's example type-checked under `strict` against the installed types.
 * Packs what `npm test` has just built (`--ignore-scripts`); `prepare` builds it at install and pack.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
/** npm's own variables from the `npm test` that runs us would redirect the nested npm. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && !k.startsWith('WIRERELAY_')));

let out: string | undefined;
let project: string;
let files: string[];

afterAll(() => {
  if (out !== undefined) rmSync(out, { recursive: true, force: true });
});

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/src/index.js')) || !existsSync(join(ROOT, 'build/release.wasm'))) {
    throw new Error('run "npm run build" first (npm test does)');
  }
  out = mkdtempSync(join(tmpdir(), 'wirerelay-pack-'));
  const { stdout } = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: ROOT, env });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; integrity: string; files: Array<{ path: string }> }>;
  files = info!.files.map((f) => f.path);
  project = join(out, 'app');
  mkdirSync(project);
  const tarball = `file:../${info!.filename}`;
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { wirerelay: tarball } }));
  // npm's cache holds the dependencies' tarballs (by integrity) but not their registry metadata, so
  // the install is pinned by a lockfile: the tarball plus our lockfile's runtime (non-dev) entries.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const self = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'app', dependencies: { wirerelay: tarball } },
    'node_modules/wirerelay': { version: pkg.version, resolved: tarball, integrity: info!.integrity, license: self.license, dependencies: self.dependencies, bin: self.bin, engines: self.engines },
  };
  // Our lockfile leaves out registry URLs; npm finds a cached tarball by URL and integrity.
  const registry = (await exec('npm', ['config', 'get', 'registry'], { env })).stdout.trim().replace(/\/?$/, '/');
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!path.startsWith('node_modules/') || entry.dev === true) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const base = name.slice(name.lastIndexOf('/') + 1);
    packages[path] = { resolved: `${registry}${name}/-/${base}-${String(entry.version)}.tgz`, ...entry };
  }
  writeFileSync(join(project, 'package-lock.json'), JSON.stringify({ name: 'app', lockfileVersion: 3, requires: true, packages }));
  await exec('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, env });
}, 120_000);

describe('the npm package', () => {
  it('ships the compiled library, the CLI, the .wasm files, README, LICENSE and docs, and no tests or benchmarks', () => {
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'dist/src/pool/worker.js', 'bin/wirerelay.js', 'build/release.wasm', 'build/debug.wasm', 'README.md', 'LICENSE', 'docs/architecture.md']) {
      expect(files).toContain(f);
    }
    expect(files.filter((f) => /^(test|bench|\.ci|assembly|src)\//.test(f) || f.endsWith('.map'))).toEqual([]);
  });

  it('installs from the tarball: createRelay relays a transaction between two nodes; internals are not importable', async () => {
    writeFileSync(
      join(project, 'relay.mjs'),
      `import { createRelay, ConfigError } from 'wirerelay';
const a = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, logLevel: 'silent', workers: 0 });
await a.start();
const b = createRelay({ listen: '127.0.0.1:0', dataDir: null, targetOutbound: 0, logLevel: 'silent', workers: 0, trickleIntervalMs: 0, connect: [a.listenAddress] });
const connected = new Promise((r) => a.once('peerConnect', r));
await b.start();
await connected;
const arrived = new Promise((r) => a.once('tx', r));
const raw = Buffer.from('0200000001' + '22'.repeat(32) + '00000000' + '00' + 'ffffffff' + '01' + '50c3000000000000' + '0151' + '00000000', 'hex');
const sent = b.relayTransaction(raw).txid;
const got = await arrived;
console.log(JSON.stringify({ sent, got: got.txid, admin: a.status().http }));
await b.stop();
await a.stop();
try { createRelay({ lisen: '127.0.0.1:0' }); } catch (err) { console.log(err instanceof ConfigError, err.message); }
try { await import('wirerelay/dist/src/pool/pool.js'); } catch (err) { console.log(err.code); }
`,
    );
    const { stdout } = await exec(process.execPath, ['relay.mjs'], { cwd: project, env, timeout: 60_000 });
    const [result, strict, internal] = stdout.trim().split('\n');
    const r = JSON.parse(result!) as { sent: string; got: string; admin: string | null };
    expect(r.got).toBe(r.sent);
    expect(r.sent).toMatch(/^[0-9a-f]{64}$/);
    expect(r.admin).toBeNull();
    expect(strict).toBe('true unknown option "lisen"');
    expect(internal).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('npx wirerelay --version runs the installed CLI', async () => {
    const { stdout } = await exec('npx', ['wirerelay', '--version'], { cwd: project, env: { ...env, npm_config_offline: 'true' } });
    expect(stdout).toBe(`wirerelay ${pkg.version}\n`);
  });

  it("the README's example type-checks under strict against the installed package; internals are not in its types", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /```ts\n\/\/ example: embed\n([\s\S]*?)```/.exec(readme);
    expect(example).not.toBeNull();
    writeFileSync(join(project, 'example.mts'), example![1]!);
    // Internals are not in the public type: each line below must be a type error.
    writeFileSync(
      join(project, 'internals.mts'),
      `import { createRelay } from 'wirerelay';\nconst r = createRelay({ targetOutbound: 0 });\n` +
        ['flowTable', 'metrics', 'healthStore', 'sentNonces'].map((k) => `// @ts-expect-error internal\nvoid r.${k};\n`).join('') +
        `// @ts-expect-error not an option\ncreateRelay({ lisen: '127.0.0.1:0' });\n`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules/@types')],
          skipLibCheck: true,
        },
        files: ['example.mts', 'internals.mts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await exec(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project, env }).catch((err: { stdout: string }) => err);
    expect(result.stdout).toBe('');
  });
});
