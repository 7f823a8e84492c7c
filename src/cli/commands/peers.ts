import { printJson, processIo, runAdminCommand, type CliIo } from '../../admin/cli-runner.js';
import type { PeerInfo } from '../../types.js';
import { renderPeerDetails, renderPeerTable } from '../node-views.js';

export const summary = "List a running node's peers";

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'peers',
      synopsis: '[--http HOST:PORT] [-v|--verbose] [--json]',
      help: `
  -v, --verbose      everything getpeerinfo shows, per peer: services by name, ping and minimum
                     ping, last send and receive, bytes sent and received per message type
`,
      options: { verbose: { type: 'boolean', short: 'v' } },
      minPositionals: 0,
      maxPositionals: 0,
      access: 'read',
      async exec({ client, values, json, io }) {
        const peers = (await client.get('/peers')) as PeerInfo[];
        if (json) printJson(io, peers);
        else if (peers.length === 0) io.out('no peers\n');
        else io.out(values.verbose === true ? renderPeerDetails(peers, Date.now()) : renderPeerTable(peers, Date.now()));
        return 0;
      },
    },
    args,
    io,
  );
}
