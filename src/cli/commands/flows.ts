import { printJson, processIo, runAdminCommand, UsageError, type CliIo } from '../../admin/cli-runner.js';
import type { FlowRow } from '../../admin/backend.js';
import { formatBytes, formatRate, formatTimestamp, renderTable, type Column } from '../../admin/format.js';

export const summary = 'Show the busiest relay flows (source peer -> destination peer)';

const COLUMNS: readonly Column<FlowRow>[] = [
  { header: 'SRC', value: (f) => f.src },
  { header: 'DST', value: (f) => f.dst },
  { header: 'PACKETS', align: 'right', value: (f) => String(f.packets) },
  { header: 'BYTES', align: 'right', value: (f) => formatBytes(f.bytes) },
  { header: 'RATE', align: 'right', value: (f) => formatRate(f.rateBps) },
  { header: 'DROPS', align: 'right', value: (f) => String(Object.values(f.drops).reduce((a, b) => a + b, 0)) },
  { header: 'LAST ACTIVE', value: (f) => formatTimestamp(f.lastActive) },
];

export function run(args: string[], io: CliIo = processIo): Promise<number> {
  return runAdminCommand(
    {
      name: 'flows',
      synopsis: '[--top 20] [--by bytes|rate] [--json]',
      help: `
  --top N            how many flows (1-1000, default 20)
  --by bytes|rate    order by total bytes (default) or current byte rate
`,
      options: { top: { type: 'string' }, by: { type: 'string' } },
      minPositionals: 0,
      maxPositionals: 0,
      access: 'read',
      async exec({ client, values, json, io }) {
        const top = typeof values.top === 'string' ? values.top : '20';
        const by = typeof values.by === 'string' ? values.by : 'bytes';
        if (!/^[0-9]+$/.test(top)) throw new UsageError(`--top must be a whole number, got "${top}"`);
        if (by !== 'bytes' && by !== 'rate') throw new UsageError(`--by must be bytes or rate, got "${by}"`);
        const flows = (await client.get(`/flows?top=${top}&by=${by}`)) as FlowRow[];
        if (json) printJson(io, flows);
        else if (flows.length === 0) io.out('no flows\n');
        else io.out(renderTable(COLUMNS, flows));
        return 0;
      },
    },
    args,
    io,
  );
}
