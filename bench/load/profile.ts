/**
 * `npm run profile [-- --heap-prof] [--full] [load-harness flags]`: runs the load harness with the
 * wirerelay node under `node --cpu-prof` (and `--heap-prof` if asked), writes the profile into
 * bench/results/profiles/ (one node, so one profile, per mode), and prints the top functions by self
 * time grouped by layer. Baselines and sweeps are skipped unless --full: only the node's knee
 * searches are profiled.
 *
 *   node dist/bench/load/profile.js --summarize FILE.cpuprofile    summarise an existing profile
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderProfileSummary, summarizeProfile } from './cpuprofile.js';
import type { CpuProfile } from './cpuprofile.js';
import { ROOT } from './procs.js';
import { parseRunArgs, runLoad } from './run.js';

/** Summarises one profile next to it; returns the summary. */
function summarize(file: string, heading?: string): string {
  const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  const md = renderProfileSummary(summary, file);
  const out = file.replace(/\.cpuprofile$/, '.summary.md');
  writeFileSync(out, md + '\n');
  console.log(heading === undefined ? md : `${heading}\n\n${md}`);
  console.log(`\nwrote ${out}\nOpen the profile in Chrome DevTools: Performance panel → "Load profile…" → ${file} (see docs/benchmarks.md).\n`);
  return md;
}

const argv = process.argv.slice(2);
const i = argv.indexOf('--summarize');
const summaryFile = join(ROOT, 'bench/results/profile-summary.md');
if (i >= 0) {
  writeFileSync(summaryFile, summarize(argv[i + 1] ?? '') + '\n');
} else {
  const dir = join(ROOT, 'bench/results/profiles');
  mkdirSync(dir, { recursive: true });
  const full = argv.includes('--full');
  const base = parseRunArgs(argv);
  // Its own output dir: a profiled run (node slowed by the sampler) must not replace load.json.
  const result = await runLoad({ ...base, outDir: dir, cpuProfDir: dir, baselines: full && base.baselines, sweeps: full && base.sweeps });
  const files = Object.entries(result.profiles).filter((e): e is [string, string] => e[1] !== undefined);
  if (files.length === 0) {
    console.error('no .cpuprofile was written (did the node exit cleanly?)');
    process.exitCode = 1;
  } else {
    // One node per mode, so one profile per mode.
    writeFileSync(summaryFile, files.map(([mode, f]) => `# ${mode} mode\n\n${summarize(f, `# ${mode} mode`)}`).join('\n\n') + '\n');
  }
}
