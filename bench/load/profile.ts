/**
 * `npm run profile [-- --heap-prof] [--full] [load-harness flags]`: runs the load harness with the
 * wirerelay node under `node --cpu-prof` (and `--heap-prof` if asked), writes the profile into
 * bench/results/profiles/, and prints the top functions by self time grouped by layer.
 * Baselines and sweeps are skipped unless --full: only the node's ladder is profiled.
 *
 *   node dist/bench/load/profile.js --summarize FILE.cpuprofile    summarise an existing profile
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderProfileSummary, summarizeProfile } from './cpuprofile.js';
import type { CpuProfile } from './cpuprofile.js';
import { ROOT } from './procs.js';
import { parseRunArgs, runLoad } from './run.js';

function summarize(file: string): void {
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const md = renderProfileSummary(summary, file);
  const out = file.replace(/\.cpuprofile$/, '.summary.md');
  writeFileSync(out, md + '\n');
  writeFileSync(join(ROOT, 'bench/results/profile-summary.md'), md + '\n');
  console.log(md);
  console.log(`\nwrote ${out}\nOpen the profile in Chrome DevTools: Performance panel → "Load profile…" → ${file} (see docs/benchmarks.md).`);
}

const argv = process.argv.slice(2);
const i = argv.indexOf('--summarize');
if (i >= 0) {
  summarize(argv[i + 1] ?? '');
} else {
  const dir = join(ROOT, 'bench/results/profiles');
  mkdirSync(dir, { recursive: true });
  const full = argv.includes('--full');
  const base = parseRunArgs(argv);
  // Its own output dir: a profiled run (node slowed by the sampler) must not replace load.json.
  const result = await runLoad({ ...base, outDir: dir, cpuProfDir: dir, baselines: full && base.baselines, sweeps: full && base.sweeps });
  if (result.profile === null) {
    console.error('no .cpuprofile was written (did the node exit cleanly?)');
    process.exitCode = 1;
  } else {
    summarize(result.profile);
  }
}
