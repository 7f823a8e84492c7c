/**
 * `wirerelay <command> [options]`. Each command lives in src/cli/commands/<name>.ts and exports
 * `run(args: string[]): Promise<number>` (the exit code) and a one-line `summary`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../version.js';

export interface CliCommand {
  readonly summary: string;
  run(args: string[]): Promise<number>;
}

const commandsDir = new URL('./commands/', import.meta.url);

function listCommands(): string[] {
  const dir = fileURLToPath(commandsDir);
  return readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.startsWith('_'))
    .map((f) => f.replace(/\.(js|ts)$/, ''))
    .sort();
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  if (!/^[a-z][a-z0-9-]*$/.test(name) || !listCommands().includes(name)) return undefined;
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const url = new URL(`./commands/${name}${ext}`, import.meta.url);
  return (await import(url.href)) as CliCommand;
}

async function usage(): Promise<string> {
  const lines = ['usage: wirerelay <command> [options]', '', 'commands:'];
  for (const name of listCommands()) {
    const cmd = await loadCommand(name);
    lines.push(`  ${name.padEnd(16)} ${cmd?.summary ?? ''}`);
  }
  lines.push('', "Run 'wirerelay <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await usage()) + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    process.stdout.write(`wirerelay ${VERSION}\n`);
    return 0;
  }
  const cmd = await loadCommand(name);
  if (cmd === undefined) {
    process.stderr.write(`wirerelay: unknown command "${name}"\n\n${await usage()}\n`);
    return 2;
  }
  return cmd.run(rest);
}

