/**
 * `npm run bench:load [-- --quick] [--no-baselines] [--no-sweeps] [--modes push,inv] [--peers 10,100,1000]
 * [--sweep fan-in|fan-out] [--step-ms N] [--warm-ms N] [--source-conns N] [--sink-conns N] [--tx-bytes N] [--workers N] [--trickle-ms N]`
 */
import { parseRunArgs, runLoad } from './run.js';
import { verdicts } from './results.js';

const result = await runLoad(parseRunArgs(process.argv.slice(2)));
for (const v of verdicts(result)) console.log(`${v.met === null ? '  n/a' : v.met ? '  met' : ' MISS'}  ${v.name}: ${v.measured} (goal ${v.target})`);
