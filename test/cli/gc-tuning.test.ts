import { describe, expect, it } from 'vitest';
import { tuneServiceHeap } from '../../src/cli/gc-tuning.js';

describe('tuneServiceHeap (wirerelay start)', () => {
  it('fixes the heap growing factor unless turned off (--no-v8-tuning) or given on the command line', () => {
    expect(tuneServiceHeap(false, [])).toBe(false);
    expect(tuneServiceHeap(true, ['--heap-growing-percent=50'])).toBe(false);
    expect(tuneServiceHeap(true, ['--heap_growing_percent', '50'])).toBe(false);
    expect(tuneServiceHeap(true, ['--max-old-space-size=512'])).toBe(true);
  });
});
