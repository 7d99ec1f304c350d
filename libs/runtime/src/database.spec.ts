import { describe, expect, it } from '@jest/globals';
import { mutate } from './database';

const answering = (raw: unknown) => ({ query: async () => raw });

describe('mutate', () => {
  it("unwraps TypeORM's [rows, rowCount] answer to an UPDATE or DELETE", async () => {
    expect(await mutate(answering([[{ id: 1 }, { id: 2 }], 2]), 'UPDATE …')).toEqual({ rows: [{ id: 1 }, { id: 2 }], affected: 2 });
    expect(await mutate(answering([[], 3]), 'DELETE … (no RETURNING)')).toEqual({ rows: [], affected: 3 });
    expect(await mutate(answering([[], 0]), 'UPDATE … RETURNING id')).toEqual({ rows: [], affected: 0 });
  });

  it('takes the plain rows of any other statement (INSERT, WITH … UPDATE … INSERT) as they are', async () => {
    expect(await mutate(answering([{ id: 1 }]), 'INSERT … RETURNING id')).toEqual({ rows: [{ id: 1 }], affected: 1 });
    expect(await mutate(answering([]), 'INSERT …')).toEqual({ rows: [], affected: 0 });
  });
});
