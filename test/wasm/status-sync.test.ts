// assembly/status.ts and src/wasm/status.ts must agree: the AS file is parsed as text.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIRST_FATAL, Status, errorForStatus, isFatal, statusName } from '../../src/wasm/status.js';

const asSource = readFileSync(new URL('../../assembly/status.ts', import.meta.url), 'utf8');
const asConsts = new Map<string, number>();
for (const m of asSource.matchAll(/^export const (\w+): u32 = (0x[0-9a-f]+|\d+);/gim)) asConsts.set(m[1]!, Number(m[2]));

describe('status codes', () => {
  it('the AS file declares every TS status with the same value', () => {
    for (const [name, code] of Object.entries(Status)) expect(asConsts.get(name), name).toBe(code);
  });

  it('the TS mirror declares every AS status (internal ones excepted)', () => {
    const internal = new Set(['FIRST_FATAL', 'PENDING_CHECKSUM']);
    for (const [name, code] of asConsts) {
      if (internal.has(name)) continue;
      expect((Status as Record<string, number>)[name], name).toBe(code);
    }
    expect(asConsts.get('FIRST_FATAL')).toBe(FIRST_FATAL);
  });

  it('the internal PENDING_CHECKSUM code collides with no ABI status', () => {
    expect(Object.values(Status)).not.toContain(asConsts.get('PENDING_CHECKSUM'));
  });

  it('fatal statuses are exactly OVERSIZE, BAD_MAGIC and COMMAND_OVERSIZE', () => {
    const fatal = Object.values(Status).filter(isFatal).sort();
    expect(fatal).toEqual([Status.OVERSIZE, Status.BAD_MAGIC, Status.COMMAND_OVERSIZE].sort());
  });

  it('names every code', () => {
    for (const [name, code] of Object.entries(Status)) expect(statusName(code)).toBe(name);
    expect(statusName(99)).toBeUndefined();
  });

  const errors: [number, string][] = [
    [Status.OVERSIZE, 'ERR_FRAME_OVERSIZE'],
    [Status.BAD_MAGIC, 'ERR_FRAME_BAD_MAGIC'],
    [Status.BAD_COMMAND, 'ERR_FRAME_BAD_COMMAND'],
    [Status.COMMAND_OVERSIZE, 'ERR_FRAME_COMMAND_OVERSIZE'],
    [Status.BAD_CHECKSUM, 'ERR_FRAME_BAD_CHECKSUM'],
  ];
  for (const [status, code] of errors) {
    it(`errorForStatus(${statusName(status)}) is a WireError ${code}`, () => {
      const err = errorForStatus(status, { offset: 48 });
      expect(err?.name).toBe('WireError');
      expect(err?.code).toBe(code);
      expect(err?.details).toEqual({ status: statusName(status), offset: 48 });
    });
  }

  it('errorForStatus is undefined for statuses that are not errors', () => {
    for (const s of [Status.OK, Status.UNKNOWN_COMMAND, Status.CHECKSUM_DEFERRED, 99]) expect(errorForStatus(s)).toBeUndefined();
  });
});
