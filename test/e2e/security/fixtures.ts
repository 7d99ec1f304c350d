import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A local identity provider: OIDC discovery + JWKS, with keys that can be rotated mid-test. */
export class TestIdp {
  readonly issuer: string;
  private keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK; publicPem: string }[] = [];
  private server?: http.Server;
  jwksHits = 0;

  constructor(readonly port: number) {
    this.issuer = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    await this.addKey('k1');
    this.server = http.createServer((req, res) => {
      if (req.url === '/.well-known/openid-configuration') {
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ issuer: this.issuer, jwks_uri: `${this.issuer}/jwks.json` }));
      }
      if (req.url === '/jwks.json') {
        this.jwksHits++;
        res.setHeader('content-type', 'application/json');
        return res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      }
      res.statusCode = 404;
      res.end();
    });
    await listen(this.server, this.port);
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Publishes another signing key (key rotation). */
  async addKey(kid: string): Promise<void> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    this.keys.push({ kid, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) });
  }

  key(kid = 'k1') {
    const k = this.keys.find((x) => x.kid === kid);
    if (!k) throw new Error(`no key ${kid}`);
    return k;
  }

  /** A valid token unless overridden. `exp` / `nbf` are unix seconds. */
  async token(
    sub: string,
    o: { aud?: string; iss?: string; exp?: number; nbf?: number; kid?: string; privateKey?: CryptoKey; noSub?: boolean } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const kid = o.kid ?? 'k1';
    const jwt = new SignJWT({ scope: 'jobs' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(o.iss ?? this.issuer)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt(now - 5)
      .setExpirationTime(o.exp ?? now + 300);
    if (!o.noSub) jwt.setSubject(sub);
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
    return jwt.sign(o.privateKey ?? this.key(kid).privateKey);
  }
}

export const AUDIENCE = 'platform-api';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
}

/** The RS/HS confusion attack: HS256 keyed with the server's public key. */
export function hs256WithKey(claims: Record<string, unknown>, key: string, kid = 'k1'): string {
  const body = `${b64({ alg: 'HS256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

/** Same signature, different claims. */
export function tamper(token: string, change: Record<string, unknown>): string {
  const [h, p, s] = token.split('.');
  const claims = { ...JSON.parse(Buffer.from(p, 'base64url').toString()), ...change };
  return `${h}.${b64(claims)}.${s}`;
}

/** A model server that accepts requests and never answers, so researcher jobs stay running. */
export class HangingLlm {
  private server?: http.Server;
  private readonly held = new Set<http.ServerResponse>();
  constructor(readonly port: number) {}
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }
  async start(): Promise<void> {
    this.server = http.createServer((_req, res) => void this.held.add(res));
    await listen(this.server, this.port);
  }
  async stop(): Promise<void> {
    for (const r of this.held) r.destroy();
    this.server?.closeAllConnections?.();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

/** A private NATS server, so no other process on the shared test NATS can answer this suite's requests. */
export async function startNats(port: number): Promise<{ url: string; stop: () => Promise<void> } | null> {
  const bin = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((p) => fs.existsSync(p));
  if (!bin) return null;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sec-nats-'));
  const child: ChildProcess = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      return null;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 200));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

export const uniq = (label: string) => `${label}-${randomBytes(4).toString('hex')}`;

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
