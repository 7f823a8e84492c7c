import { describe, expect, it } from 'vitest';
import { tuneServiceHeap } from '../../src/cli/gc-tuning.js';

describe('tuneServiceHeap (wirerelay start)', () => {
  it('fixes the heap growing factor unless turned off or given on the command line', () => {
    expect(tuneServiceHeap({ WIRERELAY_V8_TUNING: '0' }, [])).toBe(false);
    expect(tuneServiceHeap({}, ['--heap-growing-percent=50'])).toBe(false);
    expect(tuneServiceHeap({}, ['--heap_growing_percent', '50'])).toBe(false);
    expect(tuneServiceHeap({}, ['--max-old-space-size=512'])).toBe(true);
  });
});
