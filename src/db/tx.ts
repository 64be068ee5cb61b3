import { type DatabaseTransactionConnection, sql } from 'slonik';

import type { Db } from './sql-files.js';

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  readonly isolation?: Isolation;
  readonly readOnly?: boolean;
  /**
   * How often to re-run the whole callback after a serialization failure or deadlock (class 40).
   * The callback must then have no effects outside the transaction. Default 0: no retry.
   */
  readonly retries?: number;
}

export type Tx = DatabaseTransactionConnection;

function setTransaction(isolation: Isolation, readOnly: boolean) {
  // Four fixed statements: SET TRANSACTION takes no parameters.
  switch (isolation) {
    case 'read committed':
      return readOnly
        ? sql.unsafe`SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ ONLY`
        : sql.unsafe`SET TRANSACTION ISOLATION LEVEL READ COMMITTED`;
    case 'repeatable read':
      return readOnly
        ? sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`
        : sql.unsafe`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ`;
    case 'serializable':
      return readOnly
        ? sql.unsafe`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY`
        : sql.unsafe`SET TRANSACTION ISOLATION LEVEL SERIALIZABLE`;
  }
}

/** Runs `fn` in one transaction with the given isolation; commits on return, rolls back on throw. */
export async function withTransaction<T>(
  db: Db,
  options: TransactionOptions,
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  const isolation = options.isolation ?? 'read committed';
  const readOnly = options.readOnly ?? false;
  return db.transaction(async (tx) => {
    if (isolation !== 'read committed' || readOnly) {
      await tx.query(setTransaction(isolation, readOnly));
    }
    return fn(tx);
  }, options.retries ?? 0);
}
