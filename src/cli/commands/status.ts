import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';
import type { NodeStatus } from '../../types.js';
import { renderStatus } from '../node-views.js';

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
        io.out(renderStatus(s));
        return 0;
      },
    },
    args,
    io,
  );
}
