/**
 * The RPC and ZMQ options: checked where they are given (library options, flags, WIRERELAY_*
 * variables, wirerelay.conf), refused with an error naming the option; a port in use fails the
 * start with ERR_ZMQ naming the option.
 */
import { createServer } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/cli/settings.js';
import { resolveConfig } from '../../src/node/config.js';
import { createRelay } from '../../src/node/relay-node.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wirerelay-rpc-opts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HMAC = 'ab'.repeat(32);

describe('rpc and zmq options', () => {
  it('defaults: no RPC listener, no ZMQ endpoints, high-water marks 1000', () => {
    const c = resolveConfig({});
    expect(c.rpc).toBeNull();
    expect(c.zmqPubRawTx).toEqual([]);
    expect(c.zmqPubSequenceHwm).toBe(1000);
  });

  it('refuses bad values, naming the option', () => {
    expect(() => resolveConfig({ rpc: '0.0.0.0:8332' })).toThrow(/^rpc: .*rpcAllowIp/);
    expect(resolveConfig({ rpc: '0.0.0.0:8332', rpcAllowIp: ['10.0.0.0/8'] }).rpc).toEqual({ host: '0.0.0.0', port: 8332 });
    expect(() => resolveConfig({ rpc: 'nonsense' })).toThrow(/^rpc:/);
    expect(() => resolveConfig({ rpcAuth: ['alice'] })).toThrow(/^rpcAuth:/);
    expect(() => resolveConfig({ rpcAuth: [`__cookie__:s$${HMAC}`] })).toThrow(/^rpcAuth: .*reserved/);
    expect(() => resolveConfig({ rpcAllowIp: ['10.0.0.0/99'] })).toThrow(/^rpcAllowIp:/);
    expect(() => resolveConfig({ zmqPubRawTx: ['tcp://localhost:28332'] })).toThrow(/^zmqPubRawTx: expected tcp:\/\/IP:PORT/);
    expect(() => resolveConfig({ zmqPubHashBlock: ['udp://127.0.0.1:1'] })).toThrow(/^zmqPubHashBlock:/);
    expect(() => resolveConfig({ zmqPubRawTxHwm: -1 })).toThrow(/zmqPubRawTxHwm/);
    expect(resolveConfig({ zmqPubSequence: ['tcp://[::1]:28333', 'ipc:///tmp/x', 'tcp://*:28334'] }).zmqPubSequence).toHaveLength(3);
  });

  it('flags in Core\'s spelling, WIRERELAY_ variables and wirerelay.conf keys', async () => {
    const s = loadSettings(
      ['--data-dir', dir, '--rpc', '127.0.0.1:18443', `--rpcauth=alice:salt$${HMAC}`, '--zmqpubrawtx=tcp://127.0.0.1:28332', '--zmqpubrawtx=tcp://127.0.0.1:28333', '--zmqpubrawtxhwm', '5'],
      { WIRERELAY_ZMQPUBHASHBLOCK: 'tcp://127.0.0.1:28334' },
    );
    expect(s.options).toMatchObject({
      rpc: '127.0.0.1:18443',
      rpcAuth: [`alice:salt$${HMAC}`],
      zmqPubRawTx: ['tcp://127.0.0.1:28332', 'tcp://127.0.0.1:28333'],
      zmqPubRawTxHwm: 5,
      zmqPubHashBlock: ['tcp://127.0.0.1:28334'],
    });
    const conf = join(dir, 'wirerelay.conf');
    await writeFile(conf, 'zmqpubsequence=tcp://127.0.0.1:28335\nrpc=0.0.0.0:18443\nrpcallowip=192.168.0.0/16\n');
    const f = loadSettings(['--config', conf], {});
    expect(f.options).toMatchObject({ zmqPubSequence: ['tcp://127.0.0.1:28335'], rpc: '0.0.0.0:18443', rpcAllowIp: ['192.168.0.0/16'] });
    await writeFile(conf, 'rpc=0.0.0.0:18443\n');
    expect(() => loadSettings(['--config', conf], {})).toThrow(/wirerelay.conf:1: rpc: .*rpcAllowIp/);
    expect(() => loadSettings(['--zmqpubhashtx', 'tcp://example.org:1'], {})).toThrow(/^--zmqpubhashtx: expected tcp:\/\/IP:PORT/);
  });

  it('a ZMQ address that cannot be bound fails the start with ERR_ZMQ naming the option', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as { port: number }).port;
    const node = createRelay({ listen: null, workers: 0, targetOutbound: 0, logLevel: 'silent', zmqPubHashTx: [`tcp://127.0.0.1:${port}`] });
    await expect(node.start()).rejects.toMatchObject({ code: 'ERR_ZMQ', message: expect.stringMatching(/^zmqPubHashTx: cannot bind/) });
    await new Promise<void>((r) => taken.close(() => r()));
  });
});
