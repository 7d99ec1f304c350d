import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { mutate } from '@platform/runtime';
import { testEnv } from '../../support/services';

/** `mutate` against the real Postgres driver: the shapes TypeORM answers are the ones the helper unwraps. */
describe('mutate on Postgres (integration)', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = new DataSource({ type: 'postgres', url: testEnv().DATABASE_URL, poolSize: 1 });
    await db.initialize();
  });
  afterAll(() => db?.destroy());

  it('gives RETURNING rows and the changed-row count for INSERT, UPDATE, DELETE and a CTE around them', () =>
    db.transaction(async (m) => {
      await m.query(`CREATE TEMP TABLE mutate_it (id int PRIMARY KEY, v text) ON COMMIT DROP`);
      expect(await mutate(m, `INSERT INTO mutate_it VALUES (1, 'a'), (2, 'b'), (3, 'c') RETURNING id`)).toEqual({
        rows: [{ id: 1 }, { id: 2 }, { id: 3 }],
        affected: 3,
      });
      expect(await mutate(m, `UPDATE mutate_it SET v = 'x' WHERE id <= $1 RETURNING id, v`, [2])).toEqual({
        rows: [
          { id: 1, v: 'x' },
          { id: 2, v: 'x' },
        ],
        affected: 2,
      });
      expect(await mutate(m, `UPDATE mutate_it SET v = 'y' WHERE id = 99 RETURNING id`)).toEqual({ rows: [], affected: 0 });
      expect(await mutate(m, `DELETE FROM mutate_it WHERE id = 3`)).toEqual({ rows: [], affected: 1 });
      const cte = await mutate<{ id: number }>(
        m,
        `WITH u AS (UPDATE mutate_it SET v = 'z' RETURNING id) INSERT INTO mutate_it SELECT id + 10, 'copy' FROM u RETURNING id`,
      );
      expect(cte.rows.map((r) => r.id).sort()).toEqual([11, 12]);
      expect(cte.affected).toBe(2);
    }));
});
