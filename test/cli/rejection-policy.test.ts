import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { installRejectionPolicy } from '../../src/cli/rejection-policy.js';

type Line = { message: string; fields?: Record<string, unknown> };

function recorder(): { log: { error(message: string, fields?: Record<string, unknown>): void }; lines: Line[] } {
  const lines: Line[] = [];
  return { lines, log: { error: (message, fields) => void lines.push({ message, fields }) } };
}

describe('unhandled rejection policy of `wirerelay start`', () => {
  it('logs the rejection as ERR_INTERNAL with its stack, and keeps the process (the listener) in place', () => {
    const proc = new EventEmitter();
    const { log, lines } = recorder();
    const remove = installRejectionPolicy(log, proc);
    const err = new Error('missed catch');
    proc.emit('unhandledRejection', err, Promise.resolve());
    proc.emit('unhandledRejection', 'a string', Promise.resolve());
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ message: 'internal error: unhandled promise rejection', fields: { code: 'ERR_INTERNAL', err, stack: err.stack } });
    expect(String(lines[1]!.fields!['stack'])).toContain('non-error rejection: a string');
    expect(proc.listenerCount('unhandledRejection')).toBe(1);
    remove();
    expect(proc.listenerCount('unhandledRejection')).toBe(0);
  });
});
