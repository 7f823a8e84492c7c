/**
 * The good peer in its own process: the attack generators share the harness's event loop, and a
 * ping measured there would include their lag, not the node's. Forked by main.ts; IPC:
 * parent → child `{ record: boolean }` and `{ stop: true }`; child → parent `{ ready: true }`, then
 * on stop `{ rtts, lost, connected }`.
 */
import { GoodPeer } from './peer.js';

const [port, ip] = [Number(process.argv[2]), process.argv[3] ?? '127.0.0.250'];
const good = new GoodPeer(port, ip);

process.on('message', (m: { record?: boolean; stop?: boolean }) => {
  if (m.record !== undefined) good.record(m.record);
  if (m.stop === true) {
    good.record(false);
    const connected = good.connected;
    good.stop();
    process.send!({ rtts: good.rtts, lost: good.lost, connected }, undefined, {}, () => process.exit(0));
  }
});

good.start().then(
  () => process.send!({ ready: true }),
  (err: unknown) => {
    process.send!({ error: String(err) }, undefined, {}, () => process.exit(1));
  },
);
