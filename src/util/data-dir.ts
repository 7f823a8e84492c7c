import { homedir } from 'node:os';
import { join } from 'node:path';

/** The node's default data directory (durable state, the admin cookie, snapshots): `~/.wirerelay`. */
export const DEFAULT_DATA_DIR = join(homedir(), '.wirerelay');
