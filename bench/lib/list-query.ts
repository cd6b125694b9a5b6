/**
 * The data half of the L2 ceiling and of the nginx backend: exactly the query the federation List
 * runs on stack B (`listVisibleStatement`, exported by the gateway for this: the SQL, its values
 * and its rows read as arrays), through a `pg` pool connected to B's own database.
 */
import { listVisibleStatement } from '@mosaic/gateway';
import pg from 'pg';
import { taskCount } from '../servers/stack-b-protocol.js';

export interface ListQueryTarget {
  /** Stack B's database (`StackBHandle.databaseUrl`); the gateway's tables are in schema `gateway`. */
  databaseUrl: string;
  /** The user whose tasks the grant reads (`StackBHandle.userId`). */
  userId: string;
}

/**
 * Connections in the pool: pg's default, and what a gateway with a database of its own gets
 * (packages/server/src/run-target.ts). Stack B runs every service in one process with embedded
 * schemas, where each module gets 2; a ceiling should not be held back by that choice.
 */
export const listQueryPoolSize = 10;

/** The statement did not return the 100 rows List reads: the ceiling would not be measuring List. */
export class ListQueryMismatchError extends Error {
  override readonly name = 'ListQueryMismatchError';
  constructor(rows: number, target: ListQueryTarget) {
    super(
      `the List statement returned ${rows} rows for user ${target.userId}, expected ${taskCount}: ` +
        'is databaseUrl stack B’s database and search_path its gateway schema?',
    );
  }
}

export interface ListQuery {
  /** Runs the statement once and waits for every row. */
  run(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the pool and checks, once, that the statement reads the 100 tasks. */
export async function openListQuery(target: ListQueryTarget): Promise<ListQuery> {
  // List asks for one row more than its page (100) to learn whether another page follows.
  const statement = listVisibleStatement({
    resource: 'tasks',
    userId: target.userId,
    access: { includePersonal: true, includeTeams: null },
    limit: taskCount + 1,
  });
  const pool = new pg.Pool({
    connectionString: target.databaseUrl,
    max: listQueryPoolSize,
    options: '-c search_path=gateway',
    application_name: 'mosaic-bench-list-query',
  });
  // An idle client's error (the database going away at cleanup) must not crash the server.
  pool.on('error', () => {});
  try {
    const { rowCount } = await pool.query(statement);
    if (rowCount !== taskCount) throw new ListQueryMismatchError(rowCount ?? 0, target);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return {
    async run() {
      await pool.query(statement);
    },
    close: () => pool.end(),
  };
}
