import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, openLogDestination, prettyLine } from '../../src/log.js';

function capture(): { lines: Array<Record<string, unknown>>; write: (line: string) => void } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) };
}

describe('Logger (pino)', () => {
  it('writes level, time, pid, hostname and msg as pino does, with the fields and child bindings', () => {
    const { lines, write } = capture();
    const log = new Logger('info', write);
    log.child({ peer: '10.0.0.1:8333' }).warn('peer misbehaved', { score: 10n, err: Object.assign(new Error('bad'), { code: 'ERR_X' }), raw: new Uint8Array([1, 255]) });
    log.debug('not written at info');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      pid: process.pid,
      hostname: hostname(),
      peer: '10.0.0.1:8333',
      msg: 'peer misbehaved',
      score: '10',
      err: { code: 'ERR_X', message: 'bad' },
      raw: '01ff',
    });
    expect(typeof lines[0]!.time).toBe('number');
  });

  it('selects debug lines per component, like bitcoind -debug=net', () => {
    const { lines, write } = capture();
    const log = Logger.create({ level: 'info', debug: ['connmgr', 'peer'], destination: { write } });
    log.debug('root debug: not selected');
    log.child({ component: 'connmgr' }).debug('dialling');
    log.child({ component: 'addrman' }).debug('addrman debug: not selected');
    log.child({ peer: '1.2.3.4:8333' }).debug('peer debug');
    log.child({ component: 'state' }).info('state info');
    expect(lines.map((l) => l.msg)).toEqual(['dialling', 'peer debug', 'state info']);
    expect(lines[0]).toMatchObject({ level: 20, component: 'connmgr' });

    const all = capture();
    const everything = Logger.create({ level: 'warn', debug: ['all'], destination: { write: all.write } });
    everything.child({ component: 'addrman' }).debug('a');
    everything.debug('b');
    expect(all.lines.map((l) => l.msg)).toEqual(['a', 'b']);

    const root = capture();
    const node = Logger.create({ level: 'info', debug: ['node'], destination: { write: root.write } });
    node.debug('root debug');
    node.child({ component: 'connmgr' }).debug('connmgr debug: not selected');
    node.child({ component: 'connmgr' }).info('connmgr info');
    expect(root.lines.map((l) => l.msg)).toEqual(['root debug', 'connmgr info']);

    const quiet = capture();
    Logger.create({ level: 'silent', debug: ['connmgr'], destination: { write: quiet.write } }).child({ component: 'connmgr' }).error('x');
    expect(quiet.lines).toEqual([]);
  });

  it('reopens its file: after a rename (logrotate), the next line goes to a new file at the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wirerelay-log-'));
    const file = join(dir, 'wirerelay.log');
    const dest = openLogDestination({ file });
    const log = Logger.create({ level: 'info', destination: dest });
    log.info('before');
    renameSync(file, `${file}.1`);
    log.info('still the old file');
    dest.reopen();
    log.info('after');
    const msgs = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs(`${file}.1`)).toEqual(['before', 'still the old file']);
    expect(msgs(file)).toEqual(['after']);
  });

  it('renders a readable line for a terminal, with no control characters from peers', () => {
    const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), pid: 1, hostname: 'h', component: 'peer', peer: '1.2.3.4:8333', agent: '/evil\u001b[2J/', msg: 'peer up' });
    expect(prettyLine(line + '\n')).toBe('03:04:05.006 INFO  [peer] peer up peer=1.2.3.4:8333 agent=/evil?[2J/\n');
  });
});
