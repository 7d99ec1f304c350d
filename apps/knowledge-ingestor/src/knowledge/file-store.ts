import { Injectable, Logger } from '@nestjs/common';
import type { ObjectStore } from '@nats-io/obj';
import { KNOWLEDGE_FILES_BUCKET } from '@platform/contracts';
import { Bus } from '@platform/runtime';

/** The uploaded bytes, in the JetStream object store bucket the gateway writes to. */
@Injectable()
export class FileStore {
  private readonly logger = new Logger(FileStore.name);

  constructor(private readonly bus: Bus) {}

  private bucket(): Promise<ObjectStore> {
    return this.bus.bucket(KNOWLEDGE_FILES_BUCKET);
  }

  /** The bytes, or null when the object is gone. */
  async get(name: string): Promise<Uint8Array | null> {
    return (await this.bucket()).getBlob(name);
  }

  /** Best effort: a file that cannot be deleted now is logged, never fails the caller's delete. */
  async delete(names: (string | null | undefined)[]): Promise<void> {
    const store = await this.bucket().catch(() => null);
    for (const name of names) {
      if (!name) continue;
      try {
        if (!store) throw new Error('object store unavailable');
        await store.delete(name);
      } catch (err) {
        const msg = (err as Error).message ?? String(err);
        if (!/not found/i.test(msg)) this.logger.warn(`could not delete stored file ${name}: ${msg}`);
      }
    }
  }

  async has(name: string): Promise<boolean> {
    return (await (await this.bucket()).info(name)) !== null;
  }
}
