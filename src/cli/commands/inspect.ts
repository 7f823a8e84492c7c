/**
 * `wirerelay inspect [FILE|-] [--hex] [--network NAME]`: one JSON object per frame of a captured
 * stream. Field names are documented in docs/messages.md ("JSON output").
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inspectStream } from '../../inspect/inspect-stream.js';
import { networkByName } from '../../wire/constants.js';

export const summary = 'Decode a capture of raw (or hex) frames into JSON lines, one per frame';

const HELP = `usage: wirerelay inspect [FILE|-] [--hex] [--network mainnet|testnet3|testnet4|regtest|signet]

Reads frames from FILE (or standard input) and prints one JSON object per frame:
  {"offset":N,"command":"ping","length":8,"checksumOk":true,"message":{...}}
  {"offset":N,"error":{"code":"ERR_FRAME_BAD_MAGIC","message":"..."}}
After an unframeable spot it resumes at the next network magic. --network defaults to mainnet.
`;

function readInput(file: string | undefined): Buffer {
  return file === undefined || file === '-' ? readFileSync(0) : readFileSync(file);
}

export function decodeHexInput(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('--hex input is not an even number of hex digits');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export async function run(args: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { hex: { type: 'boolean' }, network: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`wirerelay inspect: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help === true) {
    out(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    process.stderr.write(`wirerelay inspect: one input at most\n\n${HELP}`);
    return 2;
  }
  let magic: number;
  let bytes: Uint8Array;
  try {
    magic = networkByName(values.network ?? 'mainnet').magic;
    const raw = readInput(positionals[0]);
    bytes = values.hex === true ? decodeHexInput(raw.toString('latin1')) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (err) {
    process.stderr.write(`wirerelay inspect: ${(err as Error).message}\n`);
    return 2;
  }
  let batch: string[] = [];
  let bad = 0;
  for (const rec of inspectStream(bytes, magic)) {
    if (rec.error !== undefined) bad++;
    batch.push(JSON.stringify(rec));
    if (batch.length >= 256) {
      out(batch.join('\n') + '\n');
      batch = [];
    }
  }
  if (batch.length > 0) out(batch.join('\n') + '\n');
  // Exit 1 when the capture held bad frames, so scripts can tell a clean capture from a damaged one.
  return bad > 0 ? 1 : 0;
}
