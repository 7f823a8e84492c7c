import { printJson, processIo, runAdminCommand, UsageError, type CliIo } from '../../admin/cli-runner.js';
import { parseDuration } from '../../admin/duration.js';
import type { BanInfo } from '../../types.js';
import { formatTimestamp } from '../../admin/format.js';
import { renderBanTable } from '../node-views.js';

export const summary = 'Ban an IP or subnet (no TARGET: list bans)';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'ban',
      synopsis: '[TARGET [--duration 24h|SECONDS] [--reason TEXT]] [--json]',
      help: `
TARGET is an IP address or CIDR subnet. Without TARGET, lists the current bans.
  --duration D       24h, 7d, 30m, 90s, or plain seconds (default: the node's ban duration)
  --reason TEXT      recorded with the ban
`,
      options: { duration: { type: 'string' }, reason: { type: 'string' } },
      minPositionals: 0,
      maxPositionals: 1,
      access: 'write',
      async exec({ client, values, positionals, json, io }) {
        const target = positionals[0];
        if (target === undefined) {
          if (values.duration !== undefined || values.reason !== undefined) {
            throw new UsageError('--duration and --reason need a TARGET');
          }
          const bans = (await client.get('/bans')) as BanInfo[];
          if (json) printJson(io, bans);
          else if (bans.length === 0) io.out('no bans\n');
          else io.out(renderBanTable(bans, Date.now()));
          return 0;
        }
        const body: Record<string, unknown> = { target };
        if (typeof values.duration === 'string') {
          const ms = parseDuration(values.duration);
          if (ms === null) throw new UsageError(`--duration must be like 24h, 7d, 30m or seconds, got "${values.duration}"`);
          body.durationMs = ms;
        }
        if (typeof values.reason === 'string') body.reason = values.reason;
        const reply = (await client.post('/ban', body)) as { ok: true; ban: BanInfo | null };
        if (json) printJson(io, reply);
        else if (reply.ban !== null) io.out(`banned ${reply.ban.target} until ${formatTimestamp(reply.ban.until)}\n`);
        else io.out(`banned ${target}\n`);
        return 0;
      },
    },
    args,
    io,
  );
}
