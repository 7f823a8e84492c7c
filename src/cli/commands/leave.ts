import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';

export const summary = 'Make the node leave the network gracefully';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'leave',
      synopsis: '[--json]',
      minPositionals: 0,
      maxPositionals: 0,
      access: 'write',
      async exec({ client, json, io }) {
        const reply = await client.post('/leave', {});
        if (json) printJson(io, reply);
        else io.out('left the network\n');
        return 0;
      },
    },
    args,
    io,
  );
}
