/**
 * Structured logs on pino: one JSON object per line with `level`, `time`, `pid`, `hostname` and
 * `msg` as pino writes them, so pino-pretty and log shippers read them unchanged. Components take a
 * `Logger` (or its `log` method as a callback) instead of writing to the console.
 *
 * Debug lines can be switched on per component, like bitcoind's `-debug=net`: a child logger made
 * with `{ component: NAME }` (or `{ peer: ADDR }`, component `peer`) logs at debug level when NAME is
 * in the `debug` list, whatever the global level.
 */
import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './types.js';

export type LogFields = Record<string, unknown>;
export type LogFn = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: LogFields) => void;

/**
 * The components whose debug lines `--debug` can select (`all` selects every one): `node` is the
 * root logger (lines with no component), the others are children named by their `component`.
 */
export const LOG_COMPONENTS = ['node', 'peer', 'connmgr', 'addrman', 'state'] as const;

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Components logged at debug level regardless of `level`; `all` for every component. */
  readonly debug?: readonly string[];
  /** Where lines go: a pino destination (see `openLogDestination`). Default: stderr, JSON. */
  readonly destination?: DestinationStream;
}

interface Shared {
  readonly debug: ReadonlySet<string>;
  /** The level of a component not selected for debug. */
  readonly level: LogLevel;
}

export class Logger {
  readonly level: LogLevel;
  private readonly pino: PinoLogger;
  private readonly shared: Shared;

  /**
   * `write` receives each line (newline included); by default lines go to stderr. `base` fields are
   * added to every line.
   */
  constructor(level: LogLevel = 'info', write?: (line: string) => void, base: LogFields = {}) {
    const destination: DestinationStream = write !== undefined ? { write } : pino.destination({ fd: 2, sync: true });
    const root = createPino(level, destination);
    this.level = level;
    this.shared = { debug: new Set(), level };
    this.pino = Object.keys(base).length > 0 ? root.child(base) : root;
  }

  /** A logger with per-component debug selection and any destination (the CLI's logger). */
  static create(options: LoggerOptions = {}): Logger {
    const shared: Shared = { debug: new Set(options.debug ?? []), level: options.level ?? 'info' };
    const level = componentLevel(shared, 'node');
    const destination = options.destination ?? pino.destination({ fd: 2, sync: true });
    return Logger.wrap(createPino(level, destination), level, shared);
  }

  /** A Logger around an existing pino logger (the constructor always makes a new root). */
  private static wrap(p: PinoLogger, level: LogLevel, shared: Shared): Logger {
    const logger = Object.create(Logger.prototype) as Logger;
    Object.assign(logger, { level, pino: p, shared });
    Object.assign(logger, { log: logger.makeLogFn() });
    return logger;
  }

  enabled(level: LogLevel): boolean {
    return level !== 'silent' && this.pino.isLevelEnabled(level);
  }

  /** A logger that adds `fields` to every line (e.g. `{ component: 'connmgr' }`, `{ peer: '1.2.3.4:8333' }`). */
  child(fields: LogFields): Logger {
    const component = typeof fields.component === 'string' ? fields.component : fields.peer !== undefined ? 'peer' : null;
    // A pino child's level is its own: a selected component logs debug under an info root.
    const level = component === null ? this.level : componentLevel(this.shared, component);
    return Logger.wrap(this.pino.child(fields, { level }), level, this.shared);
  }

  readonly log: LogFn = this.makeLogFn();

  private makeLogFn(): LogFn {
    return (level, message, fields) => {
      // `this.pino` is read at call time: the factory methods above assign it after construction.
      if (fields === undefined) this.pino[level](message);
      else this.pino[level](fields, message);
    };
  }

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

function componentLevel(shared: Shared, component: string): LogLevel {
  const selected = shared.debug.has(component) || shared.debug.has('all');
  return selected && shared.level !== 'silent' ? 'debug' : shared.level;
}

function createPino(level: LogLevel, destination: DestinationStream): PinoLogger {
  return pino(
    {
      level,
      base: { pid: process.pid, hostname: hostname() },
      formatters: { log: (obj) => safeFields(obj) },
    },
    destination,
  );
}

/** bigint as a decimal string, Errors as their code and message, bytes as hex. */
function safeFields(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = safeValue(v, 0);
  return out;
}

function safeValue(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return code === undefined ? { message: value.message } : { code, message: value.message };
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (depth < 3 && Array.isArray(value)) return value.map((v) => safeValue(v, depth + 1));
  if (depth < 3 && value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = safeValue(v, depth + 1);
    return out;
  }
  return value;
}

// ---- destinations ------------------------------------------------------------------------------

/** A destination that can be reopened (SIGHUP after logrotate moved the file). */
export interface LogDestination extends DestinationStream {
  reopen(): void;
}

/**
 * `file`: append to that path, reopened by `reopen()`. Otherwise stderr: JSON lines, or readable
 * lines when `pretty` (the CLI sets it when stderr is a terminal).
 */
export function openLogDestination(opts: { file?: string | null; pretty?: boolean }): LogDestination {
  if (opts.file !== undefined && opts.file !== null) {
    const boom = pino.destination({ dest: opts.file, sync: true, mkdir: true, append: true });
    return { write: (line: string) => void boom.write(line), reopen: () => boom.reopen() };
  }
  if (opts.pretty === true) return { write: (line: string) => void process.stderr.write(prettyLine(line)), reopen: () => {} };
  const err = pino.destination({ fd: 2, sync: true });
  return { write: (line: string) => void err.write(line), reopen: () => {} };
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMIT = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** One pino JSON line as `HH:MM:SS.mmm LEVEL [component] msg key=value …` for a terminal. */
export function prettyLine(line: string): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof obj.time === 'number' ? new Date(obj.time).toISOString().slice(11, 23) : '';
  const level = (LEVEL_NAMES[obj.level as number] ?? String(obj.level)).padEnd(5);
  const component = typeof obj.component === 'string' ? ` [${obj.component}]` : '';
  const rest = Object.entries(obj)
    .filter(([k]) => !OMIT.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  // Peers choose their user agents: no control characters reach the operator's terminal.
  const text = `${time} ${level}${component} ${String(obj.msg ?? '')}${rest === '' ? '' : ' ' + rest}`;
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?') + '\n';
}

export const silentLogger = new Logger('silent');
