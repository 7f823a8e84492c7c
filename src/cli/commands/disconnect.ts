import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';

export const summary = 'Drop the connection to a peer (HOST:PORT)';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'disconnect',
      synopsis: 'ADDR [--json]',
      minPositionals: 1,
      maxPositionals: 1,
      access: 'write',
      async exec({ client, positionals, json, io }) {
        const addr = positionals[0]!;
        const reply = await client.post('/disconnect', { addr });
        if (json) printJson(io, reply);
        else io.out(`disconnected ${addr}\n`);
        return 0;
      },
    },
    args,
    io,
  );
}
