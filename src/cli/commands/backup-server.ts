/** `wirerelay backup-server --listen HOST:PORT --dir DIR`: see src/persist/backup/backup-server.ts. */
import { parseArgs } from 'node:util';
import { BackupServer } from '../../persist/backup/backup-server.js';

export const summary = "Keep nodes' state log backups (--listen HOST:PORT --dir DIR)";

const usage = `usage: wirerelay backup-server --listen HOST:PORT --dir DIR
  Serves socket://HOST:PORT backups for one node; the copy is DIR/state.log.`;

export async function run(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { listen: { type: 'string' }, dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    process.stderr.write(`wirerelay backup-server: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(values.listen ?? '');
  if (m === null || values.dir === undefined) {
    process.stderr.write(usage + '\n');
    return 2;
  }
  const server = await BackupServer.start({ host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), dir: values.dir });
  const { host, port } = server.address();
  process.stdout.write(`listening on ${host}:${port}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
