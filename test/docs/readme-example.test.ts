/**
 * The README's library example is real code: extract it and run it against the built package
 * (self-referenced as 'wirerelay' through package.json "exports").
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('README', () => {
  it('library example runs and relays a transaction between two nodes', async () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const m = /```ts\n\/\/ example: embed\n([\s\S]*?)```/.exec(readme);
    expect(m).not.toBeNull();
    const dir = join(root, '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme-example.mjs');
    writeFileSync(file, m![1]!);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: root, timeout: 30_000 });
    expect(stdout).toMatch(/listening on 127\.0\.0\.1:\d+/);
    const injected = /injected ([0-9a-f]{64})/.exec(stdout)![1];
    expect(stdout).toContain(`new transaction ${injected}`);
    expect(stdout).toMatch(/peer up 127\.0\.0\.1:\d+/);
  });
});
