/** Worker-thread entry for compaction: see compaction.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { buildCompactedLog, CompactorMessage } from './compaction.js';

const { src, upto, dest } = workerData as { src: string; upto: number; dest: string };
const post = (m: CompactorMessage): void => parentPort!.postMessage(m);

buildCompactedLog(src, upto, dest, (done, total) => post({ type: 'progress', done, total })).then(
  (stats) => post({ type: 'done', stats }),
  (err: unknown) => {
    const e = err as { code?: string; message?: string; details?: Record<string, unknown> };
    post({ type: 'error', error: { code: e.code, message: e.message ?? String(err), details: e.details } });
  },
);
