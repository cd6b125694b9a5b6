import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.js';
import { createServiceDataSource } from '../src/db/data-source.js';
import { queryArrays, queryRows } from '../src/db/query-rows.js';
import { createLogger } from '../src/log/logger.js';

describe('platform db: queryRows and queryArrays (PostgreSQL)', function () {
  this.timeout(30_000);
  let db: TestDatabase;
  let dataSource: DataSource;

  before(async () => {
    db = await createTestDatabase();
    await db.query('CREATE SCHEMA probe; CREATE TABLE probe.things (id int PRIMARY KEY, name text NOT NULL)');
    dataSource = createServiceDataSource({
      url: db.url,
      schema: 'probe',
      entities: [],
      migrations: [],
      poolSize: 2,
      applicationName: 'mosaic-test-query-rows',
      connectTimeoutMs: 5_000,
    });
    await dataSource.initialize();
  });

  after(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('answers the rows of any statement, in the service schema (search_path)', async () => {
    expect(
      await queryRows(dataSource, 'INSERT INTO things VALUES ($1, $2), ($3, $4) RETURNING id', [
        1,
        'a',
        2,
        'b',
      ]),
    ).to.deep.equal([{ id: 1 }, { id: 2 }]);
    expect(await queryRows(dataSource, 'SELECT name FROM things ORDER BY id')).to.deep.equal([
      { name: 'a' },
      { name: 'b' },
    ]);
    // TypeORM's own `query` answers [rows, affected] for UPDATE and DELETE; this answers rows only.
    expect(await queryRows(dataSource, "UPDATE things SET name = 'c' WHERE id = 1")).to.deep.equal([]);
    expect(await queryRows(dataSource, 'DELETE FROM things WHERE id = 2 RETURNING name')).to.deep.equal([
      { name: 'b' },
    ]);
  });

  it('runs inside a transaction on its query runner (rolled back with it)', async () => {
    await dataSource
      .transaction(async (manager) => {
        await queryRows(manager, 'INSERT INTO things VALUES ($1, $2)', [3, 'inside']);
        expect(await queryRows(manager, 'SELECT name FROM things WHERE id = 3')).to.deep.equal([
          { name: 'inside' },
        ]);
        throw new Error('roll back');
      })
      .catch((error: Error) => expect(error.message).to.equal('roll back'));
    expect(await queryRows(dataSource, 'SELECT name FROM things WHERE id = 3')).to.deep.equal([]);
  });

  it("a failing statement's error names the problem and carries none of its parameters", async () => {
    const secret = 'sk-live-never-log-me-7f3a';
    await queryRows(dataSource, 'INSERT INTO things VALUES ($1, $2)', [10, 'taken']);
    const error = await queryRows(dataSource, 'INSERT INTO things VALUES ($1, $2)', [10, secret]).then(
      () => expect.fail('a duplicate key must fail'),
      (caught: Error) => caught,
    );
    expect(error.message).to.match(/duplicate key/);
    expect(inspect(error, { depth: 5 })).not.to.include(secret);
    expect(JSON.stringify(error)).not.to.include(secret);
  });

  it('queryArrays answers each row as an array in select-list order, values parsed as queryRows parses them', async () => {
    await queryRows(dataSource, 'INSERT INTO things VALUES ($1, $2), ($3, $4)', [30, 'x', 31, 'y']);
    const rows = await queryArrays(
      dataSource,
      `SELECT name, id, to_json(ARRAY['a,b', NULL]) AS tags, 1.5::float8 AS ms, NULL AS nothing
       FROM things WHERE id = ANY ($1::int[]) ORDER BY id`,
      [[30, 31]],
    );
    expect(rows).to.deep.equal([
      ['x', 30, ['a,b', null], 1.5, null],
      ['y', 31, ['a,b', null], 1.5, null],
    ]);
    // Two columns of one name stay apart: a row is positional.
    expect(await queryArrays(dataSource, 'SELECT 1 AS v, 2 AS v')).to.deep.equal([[1, 2]]);
  });

  it("queryArrays: a failing statement's error carries none of its parameters; an unconnected source is named", async () => {
    const secret = 'sk-live-never-log-me-c0de';
    const error = await queryArrays(dataSource, 'SELECT $1::text, 1 / (id - id) FROM things', [secret]).then(
      () => expect.fail('a division by zero must fail'),
      (caught: Error) => caught,
    );
    expect(error.message).to.match(/division by zero/);
    expect(inspect(error, { depth: 5 })).not.to.include(secret);
    const unconnected = createServiceDataSource({
      url: db.url,
      schema: 'probe',
      entities: [],
      migrations: [],
      poolSize: 1,
      applicationName: 'mosaic-test-query-arrays',
      connectTimeoutMs: 5_000,
    });
    await queryArrays(unconnected, 'SELECT 1').then(
      () => expect.fail('an unconnected data source cannot answer'),
      (caught: Error) => expect(caught.message).to.match(/connected postgres DataSource.*not initialized/),
    );
  });

  it("inside a transaction TypeORM's error keeps the parameters, and the log redacts them", async () => {
    const secret = 'sk-live-never-log-me-91c2';
    await queryRows(dataSource, 'INSERT INTO things VALUES ($1, $2)', [20, 'taken']);
    const error = await dataSource
      .transaction((manager) => queryRows(manager, 'INSERT INTO things VALUES ($1, $2)', [20, secret]))
      .then(
        () => expect.fail('a duplicate key must fail'),
        (caught: Error) => caught,
      );
    expect(error.name).to.equal('QueryFailedError');
    const lines: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const logger = createLogger({ service: 'test', destination });
    logger.error({ err: error }, 'statement failed');
    logger.error({ err: new Error('wrapped', { cause: error }) }, 'statement failed');
    logger.error({ failure: error }, 'statement failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).to.have.length(3);
    for (const line of lines) {
      expect(line).to.include('things_pkey');
      expect(line).not.to.include(secret);
    }
  });
});
