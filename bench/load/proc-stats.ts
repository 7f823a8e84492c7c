/**
 * What the harness reads about a process from outside it: CPU time and RSS from /proc (Linux; all
 * threads, so the worker pool counts), and the node's own figures from its admin endpoint.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:http';

/** USER_HZ: 100 on every Linux the harness targets (it is fixed in the kernel ABI on x86 and arm64). */
const CLK_TCK = 100;

export interface ProcSample {
  /** User + system CPU seconds of the whole process, all threads. */
  readonly cpuSec: number;
  readonly rssBytes: number;
  /**
   * The main thread's (the event loop's) scheduler figures, /proc/<pid>/schedstat: nanoseconds run
   * and waited runnable on a run queue, and times it was put on a CPU. Null where the kernel has no
   * schedstat.
   */
  readonly mainThread: { readonly runNs: number; readonly waitNs: number; readonly slices: number } | null;
  readonly atMs: number;
}

export function procSample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSec = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return { cpuSec, rssBytes: m === null ? 0 : Number(m[1]) * 1024, mainThread: schedstat(pid), atMs: Date.now() };
  } catch {
    return null;
  }
}

function schedstat(pid: number): ProcSample['mainThread'] {
  try {
    const [runNs, waitNs, slices] = readFileSync(`/proc/${pid}/schedstat`, 'latin1').trim().split(' ').map(Number);
    return runNs === undefined || waitNs === undefined || slices === undefined ? null : { runNs, waitNs, slices };
  } catch {
    return null;
  }
}

/**
 * How long the main thread waited for a CPU while runnable between two samples: milliseconds per
 * second of wall time, and the mean wait per time it was put on a CPU (µs). What the machine's
 * other threads cost this one in latency, whatever its own code does.
 */
export function runQueueWait(a: ProcSample, b: ProcSample): { readonly msPerSec: number; readonly usPerSlice: number } | null {
  const x = a.mainThread;
  const y = b.mainThread;
  const dt = (b.atMs - a.atMs) / 1000;
  if (x === null || y === null || dt <= 0) return null;
  const waitMs = (y.waitNs - x.waitNs) / 1e6;
  const slices = y.slices - x.slices;
  return { msPerSec: waitMs / dt, usPerSlice: slices > 0 ? (1000 * waitMs) / slices : 0 };
}

/** CPU use between two samples as a share of one core (1.0 = one core busy). */
export function cpuShare(a: ProcSample, b: ProcSample): number {
  const dt = (b.atMs - a.atMs) / 1000;
  return dt <= 0 ? 0 : (b.cpuSec - a.cpuSec) / dt;
}

export interface MachineSample {
  /** Busy CPU seconds of all cores (everything but idle and iowait). */
  readonly busySec: number;
  readonly atMs: number;
}

/** The whole machine's busy CPU time from /proc/stat: what other work on a shared machine takes. */
export function machineSample(): MachineSample | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busySec: (total - f[3]! - f[4]!) / CLK_TCK, atMs: Date.now() };
  } catch {
    return null;
  }
}

/** Cores busy between two machine samples. */
export function machineCores(a: MachineSample, b: MachineSample): number {
  const dt = (b.atMs - a.atMs) / 1000;
  return dt <= 0 ? 0 : (b.busySec - a.busySec) / dt;
}

export function httpGet(url: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`GET ${url}: ${res.statusCode} ${body.slice(0, 200)}`));
        else resolve(body);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses Prometheus text exposition (the subset prom-client writes: no timestamps, no escapes in use). */
export function parsePrometheus(text: string): MetricSample[] {
  const out: MetricSample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    if (m[2] !== undefined) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of `name` whose labels include `match`, or the sum over all matches; 0 if absent. */
export function metric(samples: readonly MetricSample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
