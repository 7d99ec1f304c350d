import { Injectable, Logger } from '@nestjs/common';
import type { ObjectStore } from '@nats-io/obj';
import { KNOWLEDGE_FILES_BUCKET } from '@platform/contracts';
import { Bus } from '@platform/runtime';

/**
 * Where uploads go before the ingestor reads them: the JetStream object store bucket shared with
 * knowledge-ingestor (which deletes the files with their documents). Only a name travels on NATS.
 */
@Injectable()
export class UploadStore {
  private readonly logger = new Logger(UploadStore.name);

  constructor(private readonly bus: Bus) {}

  private bucket(): Promise<ObjectStore> {
    return this.bus.bucket(KNOWLEDGE_FILES_BUCKET);
  }

  async put(name: string, bytes: Uint8Array, description: string): Promise<void> {
    await (await this.bucket()).putBlob({ name, description }, bytes);
  }

  async delete(names: string[]): Promise<void> {
    for (const name of names) {
      try {
        await (await this.bucket()).delete(name);
      } catch (err) {
        this.logger.warn(`could not delete upload ${name}: ${(err as Error).message}`);
      }
    }
  }
}
