import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Objm, type ObjectStore } from '@nats-io/obj';
import pg from 'pg';
import { KNOWLEDGE_FILES_BUCKET, type DocumentView, type Principal } from '@platform/contracts';
import { Bus, BusModule, RequestContextStore } from '@platform/runtime';
import { eventually, json } from '../../support/http';

const ROOT = process.cwd();

/** Apply the ingestor's migrations to the test database (idempotent). */
export function migrateKnowledge(env: Record<string, string>): void {
  execFileSync(process.execPath, [path.join(ROOT, 'dist/apps/knowledge-ingestor/apps/knowledge-ingestor/src/main.js'), 'migrate'], { env, stdio: 'pipe' });
}

/** Settings that keep the knowledge tests independent of other gateway features. */
export const KNOWLEDGE_TEST_ENV = {
  KNOWLEDGE_ENABLED: 'true',
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_BURST_PER_SECOND: '0',
  REQUIRE_AUTH: 'false',
};

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A NATS client in the test process, speaking the services' RPC contract. */
export class TestBus {
  private constructor(
    private readonly ctx: INestApplicationContext,
    readonly bus: Bus,
    readonly nc: NatsConnection,
    readonly files: ObjectStore,
  ) {}

  static async open(natsUrl: string): Promise<TestBus> {
    const ctx = await NestFactory.createApplicationContext(BusModule.forRoot({ url: natsUrl, name: 'knowledge-test', requestTimeoutMs: 15_000 }), {
      logger: false,
    });
    const nc = await connect({ servers: natsUrl.split(',') });
    const files = await new Objm(nc).create(KNOWLEDGE_FILES_BUCKET);
    return new TestBus(ctx, ctx.get(Bus), nc, files);
  }

  /** Runs `fn` with `principal` in the request context, so Bus.request sends it as the x-principal header. */
  as<T>(principal: Principal, fn: (bus: Bus) => Promise<T>): Promise<T> {
    return RequestContextStore.run({ correlationId: randomUUID(), principal }, () => fn(this.bus));
  }

  async close(): Promise<void> {
    await this.nc.close();
    await this.ctx.close();
  }
}

export function db(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 2 });
}

export async function waitForDocument(gatewayUrl: string, id: string, timeoutMs = 20_000): Promise<DocumentView> {
  return eventually(
    async () => {
      const r = await json<DocumentView>(`${gatewayUrl}/v1/documents/${id}`);
      return r.status === 200 && (r.body.status === 'ready' || r.body.status === 'failed') ? r.body : undefined;
    },
    timeoutMs,
    100,
  );
}

/** A multipart body built by hand, so filenames can carry bytes a form library would escape. */
export function rawMultipart(
  fields: Record<string, string>,
  files: { field: string; filename: string; star?: string; type: string; content: Buffer | string }[],
) {
  const boundary = `----kn${randomUUID().replace(/-/g, '')}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; ${f.star ? `filename*=${f.star}` : `filename="${f.filename}"`}\r\nContent-Type: ${f.type}\r\n\r\n`,
        'utf8',
      ),
    );
    parts.push(Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}
