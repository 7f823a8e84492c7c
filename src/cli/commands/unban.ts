import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';

export const summary = 'Lift the ban on an IP or subnet';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'unban',
      synopsis: 'TARGET [--json]',
      minPositionals: 1,
      maxPositionals: 1,
      access: 'write',
      async exec({ client, positionals, json, io }) {
        const target = positionals[0]!;
        const reply = await client.post('/unban', { target });
        if (json) printJson(io, reply);
        else io.out(`unbanned ${target}\n`);
        return 0;
      },
    },
    args,
    io,
  );
}
