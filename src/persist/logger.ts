/** The logging callback persistence modules take instead of writing to the console. */
import { systemClock } from '../clock.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

/** Default: one JSON object per line on stderr, so a supervisor can parse it. */
export const stderrLog: LogFn = (level, msg, fields = {}) => {
  process.stderr.write(JSON.stringify({ t: new Date(systemClock.now()).toISOString(), level, msg, ...fields }) + '\n');
};

/** Error text for a log field; errors are not JSON-serialisable as is. */
export function errText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
