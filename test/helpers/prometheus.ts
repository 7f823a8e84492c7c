/** A strict reader of the Prometheus text exposition format (0.0.4) for tests. */
import { expect } from 'vitest';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
// Values as Prometheus reads them (Go strconv.ParseFloat: NaN and Inf in any case). prom-client
// 15.1.3 writes an unsampled event-loop mean as "Nan", which that accepts.
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? ([+-]?(?:[0-9]*\\.?[0-9]+(?:e[+-]?[0-9]+)?|inf|nan))(?: -?[0-9]+)?$`, 'i');
const COMMENT = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A strict reader of the Prometheus text format (0.0.4), enough to hold our output to it: every
 * line is a HELP, a TYPE or `name{labels} value`, and every sample belongs to a family that has both.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) families.set(name, (f = { samples: [] }));
    return f;
  };
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const c = COMMENT.exec(line);
    if (c !== null) {
      const f = family(c[2]!);
      if (c[1] === 'HELP') {
        expect(f.help, `second HELP for ${c[2]}`).toBeUndefined();
        f.help = c[3]!;
      } else {
        expect(TYPES.has(c[3]!), `type of ${c[2]}: ${c[3]}`).toBe(true);
        expect(f.samples, `TYPE after samples for ${c[2]}`).toEqual([]);
        f.type = c[3]!;
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    expect(m, `not a sample line: ${line}`).not.toBeNull();
    const name = m![1]!;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m![2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    const base = families.has(name) ? name : name.replace(/_(bucket|sum|count|total)$/, '');
    const f = families.get(base) ?? families.get(name);
    expect(f, `sample ${name} has no HELP/TYPE`).toBeDefined();
    const raw = m![3]!.toLowerCase();
    f!.samples.push({ name, labels, value: raw.endsWith('nan') ? Number.NaN : raw.endsWith('inf') ? (raw.startsWith('-') ? -Infinity : Infinity) : Number(raw) });
  }
  for (const [name, f] of families) {
    expect(f.help, `HELP for ${name}`).toBeDefined();
    expect(f.type, `TYPE for ${name}`).toBeDefined();
  }
  return families;
}

export function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
