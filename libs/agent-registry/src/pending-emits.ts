/**
 * Emits an agent does not await one by one (so the event log can batch a burst of tokens into one
 * write). Every promise gets a handler the moment it is added: a failed write (Postgres or NATS down)
 * is kept, stops the producer at its next `add`, and is rethrown by `settle` — never left as an
 * unhandled rejection, which would kill the process.
 */
export class PendingEmits {
  private readonly pending: Promise<void>[] = [];
  private failure?: { error: unknown };

  add(emit: Promise<void>): void {
    emit.catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.pending.push(emit);
    this.throwIfFailed();
  }

  /** Waits for every emit; throws the first failure. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.pending);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
}
