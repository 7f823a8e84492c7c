import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { procSample, runQueueWait } from '../../bench/load/proc-stats.js';

describe('load harness: a process main thread’s run-queue wait (/proc/<pid>/schedstat)', () => {
  it('grows when more threads want the CPUs than there are, and stays near zero for a thread that mostly sleeps', async () => {
    // One busy child per CPU and one more: each waits for a CPU part of the time.
    const { availableParallelism } = await import('node:os');
    const n = availableParallelism() + 1;
    const spin = 'const end = Date.now() + 1500; while (Date.now() < end);';
    const kids = Array.from({ length: n }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const a = kids.map((k) => procSample(k.pid!));
      await new Promise((r) => setTimeout(r, 800));
      const b = kids.map((k) => procSample(k.pid!));
      const waits = a.map((x, i) => runQueueWait(x!, b[i]!)!);
      // n busy threads on n - 1 CPUs: together they wait ~(1 / n) of their time each on average.
      const total = waits.reduce((s, w) => s + w.msPerSec, 0);
      expect(total).toBeGreaterThan(300);
      for (const w of waits) expect(w.usPerSlice).toBeGreaterThanOrEqual(0);
    } finally {
      for (const k of kids) k.kill();
    }
    // This thread, asleep in a timer: it barely waits.
    const x = procSample(process.pid)!;
    await new Promise((r) => setTimeout(r, 300));
    const y = procSample(process.pid)!;
    expect(y.mainThread!.slices).toBeGreaterThan(x.mainThread!.slices);
    expect(runQueueWait(x, y)!.msPerSec).toBeLessThan(300);
  });
});
