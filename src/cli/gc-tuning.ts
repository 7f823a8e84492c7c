/**
 * V8 heap tuning for the `wirerelay start` process (the service; an embedder sets its own
 * process's flags: docs/deploy.md "V8 heap flags").
 *
 * A relay's JS heap is small (~15 MB live: its frames and tables live in ArrayBuffers outside it)
 * and its young generation large and busy. V8 starts incremental marking as soon as the old
 * generation's room left under its allocation limit is no more than the new space's capacity
 * (Heap::IncrementalMarkingLimitReached, src/heap/heap.cc), and sets that limit at the live size
 * times a growing factor it picks from recent GC and mutator speeds (1.1-4). With 15 MB live and
 * a factor near 2, the room left is always below the new space: the node ran a full collection
 * every ~200 ms at the push knee (27 mark-compacts against 37 scavenges in a quick push run), or
 * almost none when V8 happened to pick a large factor: the load harness's two kinds of run.
 * `--heap-growing-percent=300` fixes the factor at 4, V8's own maximum: 5 mark-compacts in the
 * same run.
 */
import v8 from 'node:v8';

/** Fixes V8's heap growing factor unless turned off (--no-v8-tuning) or node was started with its own. */
export function tuneServiceHeap(enabled: boolean, execArgv: readonly string[] = process.execArgv): boolean {
  if (!enabled) return false;
  if (execArgv.some((a) => a.startsWith('--heap-growing-percent') || a.startsWith('--heap_growing_percent'))) return false;
  v8.setFlagsFromString('--heap-growing-percent=300');
  return true;
}
