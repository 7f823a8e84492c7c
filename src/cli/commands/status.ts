import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';
import type { NodeStatus } from '../../node/types.js';
import { formatBytes, formatDuration, renderKeyValues } from '../format.js';

export const summary = "Show a running node's status";

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'status',
      synopsis: '[--http HOST:PORT] [--json]',
      minPositionals: 0,
      maxPositionals: 0,
      access: 'read',
      async exec({ client, json, io }) {
        const s = (await client.get('/status')) as NodeStatus;
        if (json) {
          printJson(io, s);
          return 0;
        }
        io.out(
          renderKeyValues([
            ['network', s.network],
            ['listen', s.listen ?? 'off'],
            ['admin', s.http ?? 'off'],
            ['uptime', formatDuration(s.uptimeMs)],
            ['peers', `${s.peers.established} established (${s.peers.inbound} in, ${s.peers.outbound} out)`],
            ['bans', String(s.bans)],
            ['addresses', `${s.addresses.new} new, ${s.addresses.tried} tried`],
            ['relay cache', `${s.relayCache.items} items, ${formatBytes(s.relayCache.bytes)}`],
            ['relayed', `${s.relayed.messages} messages, ${formatBytes(s.relayed.bytes)}`],
            ['verify pool', `${s.pool.threads} threads, queue ${s.pool.queueDepth}`],
            ['state version', s.stateVersion === null ? '-' : String(s.stateVersion)],
          ]),
        );
        return 0;
      },
    },
    args,
    io,
  );
}
