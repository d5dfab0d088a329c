/**
 * The PSA's database connection: one `pg` pool per process, and transactions that roll back on
 * any error so a failed tenant leaves nothing half-written.
 */
import { Pool, PoolClient } from 'pg';

export type Tx = PoolClient;

export function createPool(connectionString: string, max = 10): Pool {
  return new Pool({ connectionString, max });
}

/** Runs `work` in one transaction; commits when it returns, rolls back when it throws. */
export async function withTransaction<T>(pool: Pool, work: (tx: Tx) => Promise<T>): Promise<T> {
  const tx = await pool.connect();
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    await tx.query('COMMIT');
    return result;
  } catch (err) {
    await tx.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    tx.release();
  }
}
