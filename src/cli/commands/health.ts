import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';
import type { HealthInfo } from '../../admin/backend.js';
import { formatDuration, formatPercent, formatTimestamp, renderKeyValues } from '../../admin/format.js';

export const summary = 'Show the long-run health of one peer (HOST:PORT)';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'health',
      synopsis: 'PEER [--json]',
      minPositionals: 1,
      maxPositionals: 1,
      access: 'read',
      async exec({ client, positionals, json, io }) {
        const peer = positionals[0]!;
        const h = (await client.get(`/health/${encodeURIComponent(peer)}`)) as HealthInfo;
        if (json) {
          printJson(io, h);
          return 0;
        }
        io.out(
          renderKeyValues([
            ['peer', h.peer],
            ['online', h.online ? 'yes' : 'no'],
            ['tier', String(h.tier)],
            ['uptime', `${formatPercent(h.uptimeRatio)} (${formatDuration(h.uptimeMs)} of ${formatDuration(h.lifespanMs)})`],
            ['flaps', String(h.flapCount)],
            ['last flap', h.lastFlap === null ? '-' : formatTimestamp(h.lastFlap)],
          ]),
        );
        return 0;
      },
    },
    args,
    io,
  );
}
