import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Path of a compiled sibling module, for code that must hand a file to another thread or process
 * (worker threads, child processes). Under vitest this module runs from `src/…/*.ts`, where the
 * sibling exists only as `dist/src/…/*.js` after `npm run build`; compiled, it sits right beside us.
 */
export function compiledSibling(relative: string, fromUrl: string): string {
  const direct = fileURLToPath(new URL(relative, fromUrl));
  if (existsSync(direct)) return direct;
  const fromDist = direct.replace(/([\\/])src([\\/])/, '$1dist$1src$2');
  if (existsSync(fromDist)) return fromDist;
  throw new Error(`cannot find ${relative} next to ${fromUrl} (run "npm run build" first)`);
}
