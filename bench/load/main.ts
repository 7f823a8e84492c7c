/**
 * `npm run bench:load [-- --quick] [--no-baselines] [--no-sweeps] [--step-ms N] [--source-conns N]
 * [--sink-conns N] [--tx-bytes N] [--inv-fraction F] [--workers N] [--trickle-ms N]`
 */
import { parseRunArgs, runLoad } from './run.js';
import { verdicts } from './results.js';

const result = await runLoad(parseRunArgs(process.argv.slice(2)));
for (const v of verdicts(result)) console.log(`${v.met === null ? '  n/a' : v.met ? '  met' : ' MISS'}  ${v.name}: ${v.measured} (goal ${v.target})`);
