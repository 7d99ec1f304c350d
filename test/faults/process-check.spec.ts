import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { crashEvidence, Proc } from '../support/fault-infra';

/**
 * The process-level check of the fault suite on planted crashes: a process killed by an unhandled
 * rejection is reported as an unexpected exit with the rejection in its evidence (the preloaded
 * crash monitor names it even when Node prints no "unhandled"), and one the suite killed is not.
 */
describe('process check', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faults-proc-'));
  const monitor = pathToFileURL(path.resolve('test/support/crash-monitor.mjs')).href;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const node = (name: string, code: string) =>
    new Proc(name, path.join(dir, `${name}.log`), () => ({
      command: process.execPath,
      args: ['--import', monitor, '-e', code],
      env: { PATH: process.env.PATH ?? '' },
    }));

  it('reports an exit by unhandled rejection (an Error) as unexpected, with the crash monitor line as evidence', async () => {
    const p = node('rejects', `setTimeout(() => Promise.reject(new Error('Connection lost')), 10); setTimeout(() => {}, 5000);`);
    p.spawn();
    expect(await p.waitExit(5000)).toBe(true);
    expect(p.unexpectedExits()).toEqual([expect.objectContaining({ code: 1, expected: false })]);
    expect(crashEvidence(p.logFile).join('\n')).toMatch(/FAULTS-CRASH origin=unhandledRejection pid=\d+: Error: Connection lost/);
  });

  it('names a rejection with a non-Error reason too (what Nest ClientNats.connect() rejects with)', async () => {
    const p = node('rejects-string', `setTimeout(() => Promise.reject('Error: Connection lost. Trying to reconnect...'), 10); setTimeout(() => {}, 5000);`);
    p.spawn();
    await p.waitExit(5000);
    expect(p.unexpectedExits()).toHaveLength(1);
    expect(crashEvidence(p.logFile).join('\n')).toMatch(/FAULTS-CRASH origin=unhandledRejection.*Connection lost/);
  });

  it('does not count a kill -9 or a SIGTERM the suite sent, and reports how a graceful stop went', async () => {
    const killed = node('killed', 'setInterval(() => {}, 1000)');
    killed.spawn();
    await new Promise((r) => setTimeout(r, 100));
    await killed.kill9();
    expect(killed.exits).toEqual([expect.objectContaining({ signal: 'SIGKILL', expected: true })]);
    expect(killed.unexpectedExits()).toEqual([]);

    const stubborn = node('stubborn', `process.on('SIGTERM', () => {}); console.log('rea' + 'dy'); setInterval(() => {}, 1000)`);
    stubborn.spawn();
    for (let i = 0; i < 100 && !fs.readFileSync(stubborn.logFile, 'utf8').split('\n').includes('ready'); i++) await new Promise((r) => setTimeout(r, 50));
    const res = await stubborn.terminate(300);
    expect(res).toMatchObject({ forced: true, signal: 'SIGKILL' });
    expect(stubborn.unexpectedExits()).toEqual([]);
    expect(crashEvidence(stubborn.logFile)).toEqual([]);
  });
});
