// Soak: many kill -9 rounds against a committing node. `npm run soak:state -- --rounds 1000 --seed 7`
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { crashRounds } from './fixtures/crash-rounds.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '500' }, seed: { type: 'string', default: String(Date.now() % 1e9) }, dir: { type: 'string' } } });
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'wirerelay-soak-'));
const seed = Number(values.seed);
console.log(JSON.stringify({ dir, seed, rounds: Number(values.rounds) }));
const res = await crashRounds({
  dir,
  rounds: Number(values.rounds),
  seed,
  onRound: (r) => {
    if (r.round % 25 === 0 || r.missing.length > 0) console.log(JSON.stringify(r));
  },
});
console.log(JSON.stringify(res));
process.exitCode = res.ok ? 0 : 1;
