import { type EmbeddedPostgres, queryRows, startEmbeddedPostgres } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { ItemStore, itemKey } from '../../src/data/item-store.js';
import { DirectoryStore } from '../../src/directory/directory-store.js';
import { newItem, openGatewayData, personal, team } from './item-fixture.js';

describe('gateway data: item store on the embedded store (PGlite)', function () {
  this.timeout(60_000);
  let embedded: EmbeddedPostgres;
  let dataSource: DataSource;

  before(async () => {
    embedded = await startEmbeddedPostgres({ dir: 'memory://' });
    dataSource = await openGatewayData(embedded.url, 2);
  });

  after(async () => {
    await dataSource?.destroy();
    await embedded?.close();
  });

  it('runs the migration (generated search vector included) and answers a visible list, paged', async () => {
    const directory = new DirectoryStore(dataSource);
    const items = new ItemStore(dataSource);
    const [frank, grace] = await Promise.all(
      ['frank', 'grace'].map((username) =>
        directory.createUser({ username, displayName: '', email: '', role: 'member' }),
      ),
    );
    const ops = await directory.createTeam({ name: 'ops', description: '' });
    await directory.addMember(ops.id, frank!.id);
    await items.create(newItem('notes', personal(frank!.id), 'frank note', { tags: ['pglite-tag'] }));
    await items.create(newItem('notes', team(ops.id), 'ops runbook', { body: 'restart the pager' }));
    await items.create(newItem('notes', personal(grace!.id), 'grace note'));

    const access = { includePersonal: true, includeTeams: null };
    const first = await items.listVisible({ resource: 'notes', userId: frank!.id, access, limit: 1 });
    const rest = await items.listVisible({
      resource: 'notes',
      userId: frank!.id,
      access,
      limit: 10,
      after: itemKey(first[0]!),
    });
    expect([...first, ...rest].map((item) => item.title).sort()).to.deep.equal(['frank note', 'ops runbook']);

    for (const word of ['pglite', 'pager', 'runbook']) {
      const hits = await queryRows<{ title: string }>(
        dataSource,
        `SELECT title FROM items WHERE search_vector @@ to_tsquery('simple', $1)`,
        [word],
      );
      expect(hits, word).to.have.length(1);
    }
  });
});
