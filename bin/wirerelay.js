#!/usr/bin/env node
// Thin launcher: the CLI is compiled from src/cli/main.ts into dist/ by `npm run build`, which
// `npm install` runs (the `prepare` script) and which the published package ships already built.
let main;
try {
  ({ main } = await import('../dist/src/cli/main.js'));
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/src/cli/main.js')) {
    process.stderr.write('wirerelay: not built yet; run `npm run build` in the wirerelay directory\n');
    process.exit(1);
  }
  throw err;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`wirerelay: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  },
);
