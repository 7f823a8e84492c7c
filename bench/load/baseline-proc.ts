/**
 * Process entry for the baselines: `node baseline-proc.js raw FANOUT` or `node baseline-proc.js naive`.
 * Reports its ports over IPC ({ evt: 'listening', ... }), answers the harness's probe (probe.ts) like
 * the node does, and runs until the parent disconnects.
 */
import { NaiveRelay } from './naive-relay.js';
import { RawForwarder } from './raw-forwarder.js';
import { startProbe } from './probe.js';

startProbe();

const kind = process.argv[2];
if (kind === 'raw') {
  const fwd = new RawForwarder(Number(process.argv[3] ?? '1'));
  const ports = await fwd.listen();
  process.send?.({ evt: 'listening', ...ports });
} else if (kind === 'naive') {
  const relay = new NaiveRelay();
  const port = await relay.listen();
  process.send?.({ evt: 'listening', sourcePort: port, sinkPort: port });
} else {
  process.stderr.write('usage: baseline-proc.js raw FANOUT | naive\n');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
