/**
 * `wirerelay config [start options] [--json]`: the configuration `wirerelay start` would run with,
 * and where each value came from (a flag, a WIRERELAY_ variable, FILE:LINE, or the default).
 */
import { renderTable } from '../../admin/format.js';
import { describeSettings, loadSettings } from '../settings.js';

export const summary = 'Print the effective configuration of `start` and where each value came from';

export async function run(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(
      'usage: wirerelay config [start options] [--json]\n\nTakes the options of `wirerelay start` (see its --help) and prints the result.\n',
    );
    return 0;
  }
  const json = args.includes('--json');
  let rows;
  try {
    rows = describeSettings(loadSettings(args.filter((a) => a !== '--json')));
  } catch (err) {
    process.stderr.write(`wirerelay config: ${(err as Error).message}\n`);
    return 2;
  }
  if (json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(rows.map((r) => [r.name, { value: r.value, source: r.source }])), null, 2) + '\n');
  } else {
    process.stdout.write(
      renderTable(
        [
          { header: 'KEY', value: (r: (typeof rows)[number]) => r.name },
          { header: 'VALUE', value: (r) => r.value },
          { header: 'SOURCE', value: (r) => r.source },
        ],
        rows,
      ),
    );
  }
  return 0;
}
