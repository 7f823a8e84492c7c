/**
 * Runs a script with Debian's /usr/bin/python3 (the one with python3-bitcoinlib and python3-zmq;
 * the python3 first on PATH may lack them). A client that cannot start fails the test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

/** Runs `script` to the end; resolves with stdout, rejects with stderr on a non-zero exit. */
export function runPython(script: string, args: readonly string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${PYTHON} exited with ${code}:\n${err}`))));
  });
}

/** A long-running script whose stdout lines are collected as they come. */
export class PythonProcess {
  readonly lines: string[] = [];
  private stderr = '';
  private exited: number | null = null;
  private waiters: Array<() => void> = [];
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(script: string, args: readonly string[] = []) {
    this.child = spawn(PYTHON, ['-u', '-c', script, ...args]);
    let partial = '';
    this.child.stdout.on('data', (c: Buffer) => {
      partial += c.toString();
      const parts = partial.split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
      this.wake();
    });
    this.child.stderr.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.on('close', (code) => {
      this.exited = code ?? -1;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred(lines)` holds; rejects if the process exits first. No timers: it waits for output. */
  async until(pred: (lines: readonly string[]) => boolean): Promise<void> {
    while (!pred(this.lines)) {
      if (this.exited !== null) throw new Error(`${PYTHON} exited with ${this.exited} before the expected output:\n${this.stderr}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  kill(): void {
    if (this.exited === null) this.child.kill('SIGKILL');
  }
}
