import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';

export const summary = 'Dial a peer (HOST:PORT), optionally keeping it permanently';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'connect',
      synopsis: 'ADDR [--permanent] [--json]',
      help: `
ADDR is HOST:PORT ([v6]:PORT for IPv6). The dial happens in the background; see 'wirerelay peers'.
  --permanent        redial after every disconnect, like --add-peer
`,
      options: { permanent: { type: 'boolean' } },
      minPositionals: 1,
      maxPositionals: 1,
      access: 'write',
      async exec({ client, values, positionals, json, io }) {
        const addr = positionals[0]!;
        const permanent = values.permanent === true;
        const reply = await client.post('/connect', permanent ? { addr, permanent } : { addr });
        if (json) printJson(io, reply);
        else io.out(`connecting to ${addr}${permanent ? ' (permanent)' : ''}\n`);
        return 0;
      },
    },
    args,
    io,
  );
}
