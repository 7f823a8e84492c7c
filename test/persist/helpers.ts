import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (tag = 'persist'): string => mkdtempSync(join(tmpdir(), `wirerelay-${tag}-`));

export interface Captured {
  level: string;
  msg: string;
  fields?: Record<string, unknown>;
}

/** A log callback that keeps the lines, so tests can check a warning was given. */
export function captureLog(): { log: (level: string, msg: string, fields?: Record<string, unknown>) => void; lines: Captured[] } {
  const lines: Captured[] = [];
  return { log: (level, msg, fields) => lines.push({ level, msg, fields }), lines };
}
