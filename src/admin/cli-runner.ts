/**
 * Shared plumbing of the admin CLI commands (`wirerelay status|peers|ban|…`): common options, the
 * cookie, the client, and one mapping from failures to messages and exit codes.
 *
 * Exit codes: 0 success, 1 the node refused or could not be reached, 2 bad command line.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_DATA_DIR } from '../util/data-dir.js';
import { AdminClient, AdminClientError, cookiePathFor, DEFAULT_ADMIN_HTTP } from './client.js';
import { readCookie } from './cookie.js';
import { isLoopbackHostHeader, parsePeerAddress } from './targets.js';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type OptionValues = Record<string, string | boolean | undefined>;

const COMMON_OPTIONS = {
  http: { type: 'string' },
  'data-dir': { type: 'string' },
  cookie: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

const COMMON_HELP = `
common options:
  --http HOST:PORT   admin endpoint of the node (default ${DEFAULT_ADMIN_HTTP})
  --data-dir DIR     the node's data directory, where it writes .cookie (default $WIRERELAY_DATA_DIR, or ~/.wirerelay)
  --cookie FILE      the cookie file itself (for a node without a data directory)
  --json             print the endpoint's JSON instead of a table
  -h, --help         this help
`;

/** A usage mistake: printed with the usage line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CommandContext {
  readonly client: AdminClient;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
  readonly json: boolean;
  readonly io: CliIo;
}

export interface AdminCommandSpec {
  readonly name: string;
  /** Arguments after the command name, e.g. `TARGET [--duration 24h|SECONDS]`. */
  readonly synopsis: string;
  /** Extra lines for --help (command-specific options). */
  readonly help?: string;
  readonly options?: OptionSpecs;
  readonly minPositionals: number;
  readonly maxPositionals: number;
  /** 'write' commands must send the cookie token; 'read' ones send it only off loopback. */
  readonly access: 'read' | 'write';
  exec(ctx: CommandContext): Promise<number>;
}

export async function runAdminCommand(spec: AdminCommandSpec, args: string[], io: CliIo): Promise<number> {
  const usage = `usage: wirerelay ${spec.name} ${spec.synopsis}`.trimEnd();
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: { ...COMMON_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] });
    if (values.help === true) {
      io.out(`${usage}\n${spec.help ?? ''}${COMMON_HELP}`);
      return 0;
    }
    if (positionals.length < spec.minPositionals) throw new UsageError('missing argument');
    if (positionals.length > spec.maxPositionals) throw new UsageError(`unexpected argument "${positionals[spec.maxPositionals]}"`);
  } catch (err) {
    io.err(`wirerelay ${spec.name}: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }

  const httpText = typeof values.http === 'string' ? values.http : DEFAULT_ADMIN_HTTP;
  const endpoint = parsePeerAddress(httpText);
  if (endpoint === null) {
    io.err(`wirerelay ${spec.name}: --http must be HOST:PORT, got "${httpText}"\n${usage}\n`);
    return 2;
  }
  // WIRERELAY_DATA_DIR, as `wirerelay start` reads it, so the CLI next to a node configured that way
  // (a container, a systemd unit's Environment=) finds its cookie.
  const dataDir = typeof values['data-dir'] === 'string' ? values['data-dir'] : process.env.WIRERELAY_DATA_DIR || undefined;
  const cookiePath = typeof values.cookie === 'string' ? values.cookie : cookiePathFor(dataDir ?? DEFAULT_DATA_DIR);

  // Loopback reads need no token; not sending one there also keeps a stale cookie left by a crashed
  // node from turning a working `status` into a 401.
  const wantToken = spec.access === 'write' || !isLoopbackHostHeader(endpoint.addr);
  let token: string | null = null;
  let cookieProblem: string | null = null;
  if (wantToken) {
    try {
      token = await readCookie(cookiePath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      cookieProblem = code === 'ENOENT' ? `${cookiePath} does not exist` : (err as Error).message;
    }
  }

  const client = new AdminClient({ endpoint, token });
  try {
    return await spec.exec({ client, values, positionals, json: values.json === true, io });
  } catch (err) {
    io.err(`wirerelay ${spec.name}: ${describeFailure(err, { path: cookiePath, problem: cookieProblem, named: typeof values.cookie === 'string' || dataDir !== undefined, endpoint: endpoint.addr })}\n`);
    if (err instanceof UsageError) {
      io.err(`${usage}\n`);
      return 2;
    }
    return 1;
  }
}

interface CookieTried {
  readonly path: string;
  readonly problem: string | null;
  /** True when --cookie or --data-dir named the file; false when it was the default. */
  readonly named: boolean;
  readonly endpoint: string;
}

function describeFailure(err: unknown, cookie: CookieTried): string {
  if (err instanceof AdminClientError) {
    if (err.kind === 'http' && err.status === 401) {
      // Name the file that was tried, and whether it was only the default (a node started with another --data-dir).
      const which = cookie.named ? cookie.path : `${cookie.path} (the default: no --data-dir, WIRERELAY_DATA_DIR or --cookie was given)`;
      const why = cookie.problem ?? `the node at ${cookie.endpoint} did not accept its token`;
      return `bad or missing cookie, pass --data-dir DIR (the node's data directory) or --cookie FILE; tried ${which}: ${why}`;
    }
    if (err.kind === 'http') return err.code !== null ? `${err.message} (${err.code})` : err.message;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** JSON as the CLI prints it with --json: indented, one trailing newline. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
