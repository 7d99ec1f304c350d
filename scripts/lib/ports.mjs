// Ports and readiness: is something listening, wait until it is, wait until a URL answers.

import net from 'node:net';
import { indent, sleep } from './log.mjs';
import { isAlive } from './pids.mjs';
import { tail } from './processes.mjs';

/**
 * Whether something accepts TCP connections on host:port.
 * @param {number} port
 * @param {string} [host='127.0.0.1']
 * @param {number} [timeoutMs=1000]
 * @returns {Promise<boolean>}
 */
export function portOpen(port, host = '127.0.0.1', timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Connect, optionally send `payload`, resolve the first data received (or null on error/timeout). */
export function tcpHello(port, host, payload, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let data = '';
    const done = (value) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done(data || null));
    socket.once('connect', () => payload && socket.write(payload));
    socket.on('data', (d) => {
      data += d;
      if (data.includes('\n')) done(data);
    });
    socket.once('error', () => done(null));
  });
}

/**
 * Wait until host:port accepts connections. Fails early when `pid` dies; the error includes the
 * tail of `logFile`.
 * @param {number} port
 * @param {{host?: string, timeoutMs?: number, name?: string, logFile?: string, pid?: number, exited?: () => boolean}} [opts]
 */
export async function waitPort(port, { host = '127.0.0.1', timeoutMs = 30_000, name = `port ${port}`, logFile, pid, exited } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await portOpen(port, host)) return;
    const dead = (exited && exited()) || (pid !== undefined && !isAlive(pid));
    if (dead || Date.now() > deadline) {
      const why = dead ? 'exited before listening' : `did not listen within ${timeoutMs} ms`;
      const logTail = logFile ? tail(logFile) : '';
      throw new Error(`${name} ${why} on ${host}:${port}${logFile ? `; last lines of ${logFile}:\n${indent(logTail || '(empty)')}` : ''}`);
    }
    await sleep(150);
  }
}

/**
 * Poll an HTTP URL until it answers with `status` (default 200). Fails early when `pid` dies.
 * @param {string} url
 * @param {number} [timeoutMs=30000]
 * @param {{status?: number, intervalMs?: number, pid?: number}} [opts]
 * @returns {Promise<{status: number, body: string}>}
 */
export async function waitHttp(url, timeoutMs = 30_000, { status = 200, intervalMs = 250, pid } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      const body = await res.text();
      if (res.status === status) return { status: res.status, body };
      last = `${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (pid !== undefined && !isAlive(pid)) throw new Error(`${url}: process ${pid} exited (last answer: ${last})`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last answer: ${last})`);
    await sleep(intervalMs);
  }
}
