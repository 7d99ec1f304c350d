import { describe, expect, it, jest } from '@jest/globals';
import { PendingEmits } from './pending-emits';

describe('PendingEmits', () => {
  it('never leaves a failed emit unhandled, stops the producer and rethrows the first failure', async () => {
    const unhandled = jest.fn();
    process.on('unhandledRejection', unhandled);
    try {
      const pending = new PendingEmits();
      pending.add(Promise.resolve());
      pending.add(Promise.reject(new Error('57P01 terminating connection')));
      pending.add(Promise.reject(new Error('second')));
      // Let the rejections surface while the producer is "still streaming".
      await new Promise((r) => setTimeout(r, 20));
      expect(() => pending.add(Promise.resolve())).toThrow('57P01');
      await expect(pending.settle()).rejects.toThrow('57P01');
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off('unhandledRejection', unhandled);
    }
  });

  it('settles quietly when every emit succeeded', async () => {
    const pending = new PendingEmits();
    for (let i = 0; i < 5; i++) pending.add(Promise.resolve());
    await expect(pending.settle()).resolves.toBeUndefined();
  });
});
