/**
 * Structured JSON logs: one object per line on stderr, so operators can grep and ship them.
 * Components take a `Logger` (or its `log` method as a callback) instead of writing to the console.
 */
import type { LogLevel } from './node/types.js';

export type LogFields = Record<string, unknown>;
export type LogFn = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => void;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  constructor(
    readonly level: LogLevel = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
    private readonly base: LogFields = {},
  ) {}

  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  /** A logger that adds `fields` to every line (e.g. `{ peer: '1.2.3.4:8333' }`). */
  child(fields: LogFields): Logger {
    return new Logger(this.level, this.write, { ...this.base, ...fields });
  }

  readonly log: LogFn = (level, message, fields) => {
    if (RANK[level] < RANK[this.level]) return;
    const line = { t: new Date().toISOString(), level, msg: message, ...this.base, ...fields };
    this.write(JSON.stringify(line, jsonSafe) + '\n');
  };

  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
}

/** bigint as a decimal string, Errors as their code and message, bytes as hex. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  return value;
}

export const silentLogger = new Logger('silent');
