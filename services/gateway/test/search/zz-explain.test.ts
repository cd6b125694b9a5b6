import { createTestDatabase } from '/work/main/test/support/postgres.js';
import { openGatewayData } from '/work/main/services/gateway/test/data/item-fixture.js';
import { DirectoryStore } from '/work/main/services/gateway/src/directory/directory-store.js';
import { ItemStore } from '/work/main/services/gateway/src/data/item-store.js';
describe('explain', function () {
  this.timeout(120000);
  it('plan', async () => {
    const db = await createTestDatabase();
    const ds = await openGatewayData(db.url);
    const dir = new DirectoryStore(ds);
    const u = (await dir.createUser({ username: 'x', displayName: '', email: '', role: 'member' })).id;
    await db.query(`INSERT INTO gateway.items (id, resource, owner_user_id, title, body) SELECT gen_random_uuid(), 'notes', $1, 'note ' || g, 'body word' || (g % 500) FROM generate_series(1, 50000) g`, [u]);
    await db.query('ANALYZE gateway.items');
    const store = new ItemStore(ds);
    const orig = ds.query.bind(ds);
    (ds as any).query = async (sql: string, params: unknown[]) => {
      if (sql.includes('websearch_to_tsquery')) {
        const plan = await orig(`EXPLAIN ANALYZE ${sql}`, params);
        console.log(plan.map((r: any) => r['QUERY PLAN']).join('\n'));
      }
      return orig(sql, params);
    };
    const hits = await store.searchVisible({ resources: ['notes', 'tasks'], userId: u, accessByResource: { notes: { includePersonal: true, includeTeams: null }, tasks: { includePersonal: true, includeTeams: null } }, query: 'word42', limit: 11 });
    console.log(hits.length, hits[0]?.rank);
    await ds.destroy(); await db.drop();
  });
});
