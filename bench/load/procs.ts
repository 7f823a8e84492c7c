/**
 * The processes a load run is made of: the target (wirerelay from bin/wirerelay.js, or a baseline
 * from baseline-proc.js) and the generator processes (peer-proc.js), each with a bounded wait on
 * every step so a stuck child fails the run instead of hanging it.
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildEvent, ParentCommand, PeerProcConfig, Snapshot } from './ipc.js';
import { httpGet, parsePrometheus } from './proc-stats.js';
import type { MetricSample } from './proc-stats.js';
import type { TargetName } from './results.js';
import { PROBE_ENV } from './probe.js';
import type { ProbeReport, ProbeRequest } from './probe.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Repository root (this file runs from dist/bench/load/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

export interface Target {
  readonly name: TargetName;
  readonly pid: number;
  readonly host: string;
  readonly sourcePort: number;
  readonly sinkPort: number;
  /** Whether peers must handshake (false for the raw forwarder). */
  readonly handshake: boolean;
  /** The node's /metrics, parsed; null for baselines. */
  metrics(): Promise<MetricSample[] | null>;
  /** The process's own event-loop utilization and GC pauses since the last reset (probe.ts). */
  probe(reset: boolean): Promise<ProbeReport | null>;
  /** Warnings the node has logged so far, counted by message (and offence); null for baselines. */
  warnings(): Record<string, number> | null;
  status(): Promise<Record<string, unknown> | null>;
  stop(): Promise<void>;
}

/** Asks a target process's probe (probe.ts) for its figures; null if it does not answer in time. */
function askProbe(child: ChildProcess, reset: boolean, timeoutMs = 5000): Promise<ProbeReport | null> {
  if (!child.connected) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onMessage = (m: { evt?: string }): void => {
      if (m?.evt !== 'probe') return;
      clearTimeout(t);
      child.off('message', onMessage);
      resolve(m as ProbeReport);
    };
    const t = setTimeout(() => {
      child.off('message', onMessage);
      resolve(null);
    }, timeoutMs);
    child.on('message', onMessage);
    child.send({ cmd: 'probe', reset } satisfies ProbeRequest);
  });
}

/** Counts the warn/error lines of a node's JSON log by message (with the offence, when there is one). */
export function countWarnings(logFile: string): Record<string, number> | null {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return null;
  }
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      // Named levels, or pino's numbers (40 warn, 50 error, 60 fatal).
      const e = JSON.parse(line) as { level?: string | number; msg?: string; offence?: string };
      if (!(e.level === 'warn' || e.level === 'error' || (typeof e.level === 'number' && e.level >= 40))) continue;
      const key = e.offence === undefined ? String(e.msg) : `${e.msg} (${e.offence})`;
      out[key] = (out[key] ?? 0) + 1;
    } catch {
      // a partly written last line
    }
  }
  return out;
}

export interface WirerelayOptions {
  readonly workers: number;
  readonly trickleMs: number;
  readonly maxInbound: number;
  readonly cpuProfDir?: string;
  readonly heapProf?: boolean;
  /** Keep and reuse this data directory (soak restarts); a fresh temp dir otherwise. */
  readonly dataDir?: string;
  readonly ports?: { readonly listen: number; readonly http: number };
  readonly extraArgs?: readonly string[];
  /** More modules to preload into the node (`--import`), e.g. feeds.ts's in-process subscriber. */
  readonly preload?: readonly string[];
  /** More environment for the node process (not WIRERELAY_*: the CLI reads those as settings). */
  readonly env?: Readonly<Record<string, string>>;
}

export async function startWirerelay(opts: WirerelayOptions): Promise<Target & { readonly dataDir: string; readonly child: ChildProcess; kill9(): Promise<void> }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'wirerelay-load-'));
  const listen = opts.ports?.listen ?? (await freePort());
  const http = opts.ports?.http ?? (await freePort());
  // The probe rides along as a preload: the node itself is the unmodified CLI.
  const nodeArgs: string[] = ['--import', new URL('./probe.js', import.meta.url).href, ...(opts.preload ?? []).flatMap((m) => ['--import', m])];
  if (opts.cpuProfDir !== undefined) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  if (opts.heapProf === true && opts.cpuProfDir !== undefined) nodeArgs.push('--heap-prof', `--heap-prof-dir=${opts.cpuProfDir}`);
  const args = [
    ...nodeArgs,
    join(ROOT, 'bin/wirerelay.js'),
    'start',
    '--listen', `127.0.0.1:${listen}`,
    '--http', `127.0.0.1:${http}`,
    '--data-dir', dataDir,
    '--log-level', 'warn',
    '--trickle-ms', String(opts.trickleMs),
    '--max-inbound', String(opts.maxInbound),
    // Loopback only: the node must never dial out on its own.
    '--target-outbound', '0', '--onlynet', 'loopback',
    '--workers', String(opts.workers),
    ...(opts.extraArgs ?? []),
  ];
  mkdirSync(dataDir, { recursive: true });
  const logFd = openSync(join(dataDir, 'node.log'), 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', logFd, logFd, 'ipc'], env: { ...process.env, ...(opts.env ?? {}), [PROBE_ENV]: '1' } });
  closeSync(logFd);
  const base = `http://127.0.0.1:${http}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wirerelay exited with ${child.exitCode} at start; see ${join(dataDir, 'node.log')}`);
    try {
      const s = JSON.parse(await httpGet(`${base}/status`, 1000)) as { listen?: string };
      if (typeof s.listen === 'string') break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('wirerelay did not come up within 20 s');
    }
    await sleep(100);
  }
  const ownDir = opts.dataDir === undefined;
  return {
    name: 'wirerelay',
    pid: child.pid!,
    host: '127.0.0.1',
    sourcePort: listen,
    sinkPort: listen,
    handshake: true,
    dataDir,
    child,
    metrics: async () => parsePrometheus(await httpGet(`${base}/metrics`)),
    probe: (reset) => askProbe(child, reset),
    warnings: () => countWarnings(join(dataDir, 'node.log')),
    status: async () => JSON.parse(await httpGet(`${base}/status`)) as Record<string, unknown>,
    stop: async () => {
      // SIGINT is the graceful path: the node flushes its state and --cpu-prof writes its profile.
      child.kill('SIGINT');
      if (!(await waitExit(child, 20_000))) {
        child.kill('SIGKILL');
        await waitExit(child, 5_000);
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill9: async () => {
      child.kill('SIGKILL');
      await waitExit(child, 5_000);
    },
  };
}

export async function startBaseline(kind: 'raw' | 'naive', fanout: number): Promise<Target> {
  const child = fork(join(here, 'baseline-proc.js'), kind === 'raw' ? ['raw', String(fanout)] : ['naive'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<{ sourcePort: number; sinkPort: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${kind} baseline did not start`)), 10_000);
    child.once('message', (m: { sourcePort: number; sinkPort: number }) => {
      clearTimeout(t);
      resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${kind} baseline exited with ${code}`)));
  });
  return {
    name: kind === 'raw' ? 'raw-forwarder' : 'naive-relay',
    pid: child.pid!,
    host: '127.0.0.1',
    sourcePort: ports.sourcePort,
    sinkPort: ports.sinkPort,
    handshake: kind === 'naive',
    metrics: async () => null,
    probe: (reset) => askProbe(child, reset),
    warnings: () => null,
    status: async () => null,
    stop: async () => {
      child.kill('SIGTERM');
      if (!(await waitExit(child, 5000))) child.kill('SIGKILL');
    },
  };
}

/** One generator process (peer-proc.js). */
export class GenProc {
  private readonly child: ChildProcess;
  private waiters: Array<(e: ChildEvent) => boolean> = [];
  exited = false;

  constructor(readonly config: PeerProcConfig) {
    this.child = fork(join(here, 'peer-proc.js'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (e: ChildEvent) => {
      this.waiters = this.waiters.filter((w) => !w(e));
    });
    this.child.on('exit', () => {
      this.exited = true;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  send(c: ParentCommand): void {
    if (!this.exited) this.child.send(c);
  }

  private next<E extends ChildEvent['evt']>(evt: E, timeoutMs: number): Promise<Extract<ChildEvent, { evt: E }>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.config.role} process: no ${evt} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((e) => {
        if (e.evt !== evt) return false;
        clearTimeout(t);
        resolve(e as Extract<ChildEvent, { evt: E }>);
        return true;
      });
    });
  }

  async connect(timeoutMs = 120_000): Promise<{ established: number; failed: number }> {
    const ready = this.next('ready', timeoutMs);
    this.send({ cmd: 'connect' });
    return ready;
  }

  /** Source: encode a step's frames ahead (see peer-proc.ts); resolves when they are ready. */
  async prepare(p: Omit<Extract<ParentCommand, { cmd: 'prepare' }>, 'cmd'>, timeoutMs = 60_000): Promise<{ frames: number; encodeMs: number }> {
    const ready = this.next('prepared', timeoutMs);
    this.send({ cmd: 'prepare', ...p });
    return ready;
  }

  async snapshot(reset: boolean): Promise<Snapshot> {
    const s = this.next('snapshot', 10_000);
    this.send({ cmd: 'snapshot', reset });
    return (await s).snapshot;
  }

  async exit(): Promise<void> {
    this.send({ cmd: 'exit' });
    if (!(await waitExit(this.child, 3000))) this.child.kill('SIGKILL');
  }
}

/** `n` local addresses 127.0.<net>.1..n (Linux routes all of 127/8 to lo). */
export function loopbackIps(net: number, n: number): string[] {
  return Array.from({ length: Math.max(1, Math.min(n, 250)) }, (_, i) => `127.0.${net}.${i + 1}`);
}
