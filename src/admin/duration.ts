/**
 * Ban durations as operators type them: `3600` (seconds, like Bitcoin Core's `setban … bantime`),
 * or a number with one unit, `90s`, `30m`, `24h`, `7d`, `2w`.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds, or null if the text is not a positive whole duration. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]{1,12})([smhdw]?)$/.exec(text.trim());
  if (m === null) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2] === '' ? 's' : m[2]!]!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}
