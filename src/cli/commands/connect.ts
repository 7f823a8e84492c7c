import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';

export const summary = 'Dial a peer (HOST:PORT), optionally keeping it permanently';

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'connect',
      synopsis: 'ADDR [--permanent] [--transport v1|v2] [--json]',
      help: `
ADDR is HOST:PORT ([v6]:PORT for IPv6). The dial happens in the background; see 'wirerelay peers'.
  --permanent        redial after every disconnect, like --add-peer
  --transport v1|v2  what the peer speaks, like Core's addnode v2transport (default: learnt or probed)
`,
      options: { permanent: { type: 'boolean' }, transport: { type: 'string' } },
      minPositionals: 1,
      maxPositionals: 1,
      access: 'write',
      async exec({ client, values, positionals, json, io }) {
        const addr = positionals[0]!;
        const permanent = values.permanent === true;
        const transport = values.transport;
        const reply = await client.post('/connect', { addr, ...(permanent ? { permanent } : {}), ...(transport === undefined ? {} : { transport }) });
        if (json) printJson(io, reply);
        else io.out(`connecting to ${addr}${permanent ? ' (permanent)' : ''}\n`);
        return 0;
      },
    },
    args,
    io,
  );
}
