/**
 * The python-bitcoinlib P2P client (p2p_client.py) as a child process: Debian's /usr/bin/python3,
 * where python3-bitcoinlib installs (a python3 earlier on PATH may lack it). Its `EVENT …` lines
 * are collected; a client that cannot start fails the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./p2p_client.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

export interface PythonPeer {
  /** `EVENT` lines so far, without the prefix: `connected`, `established`, `tx <txid>`, `block <hash>`, `closed …`. */
  readonly events: string[];
  readonly stderr: string[];
  close(): Promise<void>;
}

export function startPythonPeer(host: string, port: number): PythonPeer {
  const child: ChildProcess = spawn(PYTHON, [SCRIPT, host, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: string[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith('EVENT ')) events.push(line.slice(6));
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('error', (err) => stderr.push(String(err)));
  return {
    events,
    stderr,
    close: async () => {
      child.stdin!.end();
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
