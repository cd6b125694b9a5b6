import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  CreateItemRequestSchema,
  DeleteItemRequestSchema,
  UpdateItemRequestSchema,
} from '@mosaic/contracts/v1/admin_pb';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import { ApiKeySchema, CredentialSchema, type ItemSchema, TaskStatus } from '@mosaic/contracts/v1/items_pb';
import { queryRows } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../../../test/support/postgres.js';
import { ItemStore } from '../../src/data/item-store.js';
import { itemLimits } from '../../src/data/item-views.js';
import { createItem, deleteItem, updateItem } from '../../src/data/items-admin.js';
import { VisibleItemViews } from '../../src/data/visible-item-views.js';
import { DirectoryStore } from '../../src/directory/directory-store.js';
import { expectMosaicError, openGatewayData } from './item-fixture.js';

type ItemInit = MessageInitShape<typeof ItemSchema>;

describe('gateway data: item admin (CreateItem, UpdateItem, DeleteItem)', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: ItemStore;
  let userId: string;
  let teamId: string;

  const createRequest = (item: ItemInit | undefined) => create(CreateItemRequestSchema, item ? { item } : {});
  const note = (value: Record<string, unknown>): ItemInit => ({ item: { case: 'note', value } });
  /** The oneof value of a response's item, for assertions. */
  const itemValue = (response: { item?: ItemInit | undefined }) =>
    (response.item?.item?.value ?? {}) as Record<string, unknown>;
  const idOf = (response: { item?: ItemInit | undefined }) => itemValue(response).id as string;
  const owned = () => ({ owner: { owner: { case: 'userId' as const, value: userId } } });

  before(async () => {
    db = await createTestDatabase();
    dataSource = await openGatewayData(db.url);
    store = new ItemStore(dataSource);
    const directory = new DirectoryStore(dataSource);
    userId = (await directory.createUser({ username: 'erin', displayName: '', email: '', role: 'member' }))
      .id;
    teamId = (await directory.createTeam({ name: 'infra', description: '' })).id;
    await directory.addMember(teamId, userId);
  });

  after(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  const refusals: Array<{
    name: string;
    item: () => ItemInit | undefined;
    kind: 'invalid_argument' | 'not_found';
    says: RegExp;
  }> = [
    { name: 'no item', item: () => undefined, kind: 'invalid_argument', says: /item is required/ },
    {
      name: 'no oneof case',
      item: () => ({ resource: Resource.NOTES }),
      kind: 'invalid_argument',
      says: /item is required/,
    },
    {
      name: 'missing owner',
      item: () => note({ title: 'x' }),
      kind: 'invalid_argument',
      says: /note\.owner is required/,
    },
    {
      name: 'an owner set to neither a user nor a team',
      item: () => note({ title: 'x', owner: {} }),
      kind: 'invalid_argument',
      says: /note\.owner is required/,
    },
    {
      name: 'an owner user id that is not a UUID',
      item: () => note({ title: 'x', owner: { owner: { case: 'userId', value: 'erin' } } }),
      kind: 'invalid_argument',
      says: /note\.owner\.user_id "erin" is not a UUID/,
    },
    {
      name: 'an owner team id that is not a UUID',
      item: () => ({
        item: { case: 'task', value: { title: 'x', owner: { owner: { case: 'teamId', value: '42' } } } },
      }),
      kind: 'invalid_argument',
      says: /task\.owner\.team_id "42" is not a UUID/,
    },
    {
      name: 'an empty title',
      item: () => note({ title: '  ', ...owned() }),
      kind: 'invalid_argument',
      says: /note\.title is empty/,
    },
    {
      name: 'an empty credential name',
      item: () => ({ item: { case: 'credential', value: { name: '', ...owned() } } }),
      kind: 'invalid_argument',
      says: /credential\.name is empty/,
    },
    {
      name: 'an empty memory entry (no summary, no body)',
      item: () => ({ item: { case: 'memory', value: { title: '', body: ' ', ...owned() } } }),
      kind: 'invalid_argument',
      says: /memory\.title and memory\.body are both empty/,
    },
    {
      name: 'an unknown resource',
      item: () => ({ ...note({ title: 'x', ...owned() }), resource: 99 as Resource }),
      kind: 'invalid_argument',
      says: /resource 99 is not a resource this gateway knows/,
    },
    {
      name: 'a resource that contradicts the item case',
      item: () => ({ ...note({ title: 'x', ...owned() }), resource: Resource.TASKS }),
      kind: 'invalid_argument',
      says: /resource tasks does not match the item, which is a note/,
    },
    {
      name: 'a body over 64 KiB',
      item: () => note({ title: 'x', body: 'é'.repeat(itemLimits.bodyBytes / 2 + 1), ...owned() }),
      kind: 'invalid_argument',
      says: /note\.body is longer than 64 KiB/,
    },
    {
      name: 'more than 32 tags',
      item: () => note({ title: 'x', tags: Array.from({ length: 33 }, (_, n) => `t${n}`), ...owned() }),
      kind: 'invalid_argument',
      says: /note\.tags has 33 tags; at most 32/,
    },
    {
      name: 'an empty tag',
      item: () => note({ title: 'x', tags: ['ok', ' '], ...owned() }),
      kind: 'invalid_argument',
      says: /note\.tags\[1\] must have 1 to 64 characters/,
    },
    {
      name: 'an id chosen by the client',
      item: () => note({ id: randomUUID(), title: 'x', ...owned() }),
      kind: 'invalid_argument',
      says: /note\.id must be empty when creating/,
    },
    {
      name: 'a credential whose "masked" value is a whole secret',
      item: () => ({
        item: { case: 'credential', value: { name: 'db', maskedValue: 'hunter2-hunter2', ...owned() } },
      }),
      kind: 'invalid_argument',
      says: /^credential\.masked_value is not a masked value\.$/,
    },
    {
      name: 'an API key whose "masked" value shows more than 4 characters',
      item: () => ({
        item: { case: 'apiKey', value: { name: 'openai', maskedValue: 'sk-…abcdef', ...owned() } },
      }),
      kind: 'invalid_argument',
      says: /^api_key\.masked_value is not a masked value\.$/,
    },
    {
      name: 'an owner user that does not exist',
      item: () => note({ title: 'x', owner: { owner: { case: 'userId', value: randomUUID() } } }),
      kind: 'not_found',
      says: /^user [0-9a-f-]{36} does not exist on this gateway\.$/,
    },
    {
      name: 'an owner team that does not exist',
      item: () => note({ title: 'x', owner: { owner: { case: 'teamId', value: randomUUID() } } }),
      kind: 'not_found',
      says: /^team [0-9a-f-]{36} does not exist on this gateway\.$/,
    },
  ];

  for (const tc of refusals) {
    it(`CreateItem refuses ${tc.name} (${tc.kind})`, async () => {
      const before = await queryRows(dataSource, 'SELECT count(*)::int AS n FROM items');
      const error = await expectMosaicError(createItem(store, createRequest(tc.item())), tc.kind, tc.says);
      expect(error.message).not.to.include('hunter2');
      expect(await queryRows(dataSource, 'SELECT count(*)::int AS n FROM items')).to.deep.equal(before);
    });
  }

  it('CreateItem stores each resource and answers the stored item with id and timestamps', async () => {
    const dueAt = new Date('2026-12-01T09:00:00.000Z');
    const cases: ItemInit[] = [
      {
        item: {
          case: 'task',
          value: {
            title: ' Ship it ',
            body: 'soon',
            tags: ['Ops', 'ops', 'release'],
            dueAt: timestampFromDate(dueAt),
            ...owned(),
          },
        },
      },
      {
        resource: Resource.NOTES,
        ...note({ title: 'Minutes', body: '# heading', owner: { owner: { case: 'teamId', value: teamId } } }),
      },
      { item: { case: 'memory', value: { title: '', body: 'prefers dark mode', ...owned() } } },
    ];
    const [task, minutes, memory] = await Promise.all(
      cases.map((item) => createItem(store, createRequest(item))),
    );
    expect(task!.item!.resource).to.equal(Resource.TASKS);
    const taskValue = task!.item!.item as { case: 'task'; value: Record<string, unknown> };
    expect(taskValue.case).to.equal('task');
    expect(taskValue.value).to.include({ title: 'Ship it', body: 'soon', status: TaskStatus.OPEN });
    expect(taskValue.value.tags).to.deep.equal(['ops', 'release']);
    expect(taskValue.value.dueAt).to.deep.equal(timestampFromDate(dueAt));
    expect(taskValue.value.id).to.match(/^[0-9a-f-]{36}$/);
    expect(taskValue.value.createdAt).to.not.equal(undefined);
    expect(itemValue(minutes!)).to.deep.include({ owner: { owner: { case: 'teamId', value: teamId } } });
    expect(memory!.item!.item).to.deep.include({ case: 'memory' });
  });

  it('credentials and API keys carry only their masked value and metadata', async () => {
    const credential = await createItem(
      store,
      createRequest({
        item: {
          case: 'credential',
          value: {
            name: 'staging database',
            kind: 'Password',
            username: 'app',
            url: 'postgres://db.staging:5432',
            maskedValue: '••••••••3f9a',
            ...owned(),
          },
        },
      }),
    );
    const apiKey = await createItem(
      store,
      createRequest({
        item: {
          case: 'apiKey',
          value: { name: 'OpenAI prod', provider: 'openai', maskedValue: 'sk-…3f9a', ...owned() },
        },
      }),
    );
    expect(itemValue(credential)).to.deep.include({
      name: 'staging database',
      kind: 'password',
      maskedValue: '••••••••3f9a',
    });
    expect(itemValue(apiKey)).to.deep.include({
      name: 'OpenAI prod',
      provider: 'openai',
      maskedValue: 'sk-…3f9a',
    });
    // The contract has no field a secret could travel in…
    const secretish = /secret|password|^value$|^key$|token/i;
    for (const schema of [CredentialSchema, ApiKeySchema]) {
      expect(schema.fields.map((field) => field.name).filter((name) => secretish.test(name))).to.deep.equal(
        [],
      );
    }
    // …and the read path renders what was stored: the masked value, nothing else.
    const views = new VisibleItemViews(store);
    const listed = await views.listVisible({
      resource: 'credentials',
      userId,
      access: { includePersonal: true, includeTeams: null },
      limit: 10,
    });
    expect(listed.map((view) => view.item.item?.value)).to.have.length(1);
    expect(listed[0]!.item.item).to.deep.include({ case: 'credential' });
    expect((listed[0]!.item.item!.value as { maskedValue: string }).maskedValue).to.equal('••••••••3f9a');
    const columns = await queryRows<{ column_name: string }>(
      dataSource,
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'items' AND table_schema = current_schema()",
    );
    expect(columns.map((row) => row.column_name).filter((name) => secretish.test(name))).to.deep.equal([]);
  });

  it('UpdateItem replaces the editable fields, keeps a task status when none is sent, and bumps updated_at', async () => {
    const created = await createItem(
      store,
      createRequest({
        item: {
          case: 'task',
          value: { title: 'Draft', status: TaskStatus.IN_PROGRESS, tags: ['a'], ...owned() },
        },
      }),
    );
    const id = idOf(created);
    const updated = await updateItem(
      store,
      create(UpdateItemRequestSchema, {
        item: { item: { case: 'task', value: { id, title: 'Final', body: 'done soon' } } },
      }),
    );
    const value = itemValue(updated);
    expect(value).to.include({ id, title: 'Final', body: 'done soon', status: TaskStatus.IN_PROGRESS });
    expect(value.tags).to.deep.equal([]);
    const done = await updateItem(
      store,
      create(UpdateItemRequestSchema, {
        item: { item: { case: 'task', value: { id, title: 'Final', status: TaskStatus.DONE, ...owned() } } },
      }),
    );
    expect(itemValue(done).status).to.equal(TaskStatus.DONE);
    const stored = await store.getUnscoped('tasks', id);
    expect(stored!.updatedAt.getTime()).to.be.at.least(stored!.createdAt.getTime());
  });

  it('UpdateItem refuses an owner change, another resource and a missing id', async () => {
    const created = await createItem(store, createRequest(note({ title: 'mine', ...owned() })));
    const id = idOf(created);
    await expectMosaicError(
      updateItem(
        store,
        create(UpdateItemRequestSchema, {
          item: note({ id, title: 'ours', owner: { owner: { case: 'teamId', value: teamId } } }),
        }),
      ),
      'invalid_argument',
      /the owner of .* cannot change/,
    );
    await expectMosaicError(
      updateItem(
        store,
        create(UpdateItemRequestSchema, { item: { item: { case: 'task', value: { id, title: 'x' } } } }),
      ),
      'not_found',
      /^task .* does not exist on this gateway\.$/,
    );
    await expectMosaicError(
      updateItem(store, create(UpdateItemRequestSchema, { item: note({ id: randomUUID(), title: 'x' }) })),
      'not_found',
      /^note .* does not exist/,
    );
    await expectMosaicError(
      updateItem(store, create(UpdateItemRequestSchema, { item: note({ title: 'x' }) })),
      'invalid_argument',
      /note\.id "" is not a UUID/,
    );
    expect((await store.getUnscoped('notes', id))!.title).to.equal('mine');
  });

  it('DeleteItem deletes once, then answers not_found; refuses an unknown resource', async () => {
    const created = await createItem(store, createRequest(note({ title: 'ephemeral', ...owned() })));
    const id = idOf(created);
    await expectMosaicError(
      deleteItem(store, create(DeleteItemRequestSchema, { resource: Resource.TASKS, id })),
      'not_found',
      /^task /,
    );
    expect(
      await deleteItem(store, create(DeleteItemRequestSchema, { resource: Resource.NOTES, id })),
    ).to.deep.equal({ id });
    await expectMosaicError(
      deleteItem(store, create(DeleteItemRequestSchema, { resource: Resource.NOTES, id })),
      'not_found',
      /^note .* does not exist/,
    );
    await expectMosaicError(
      deleteItem(store, create(DeleteItemRequestSchema, { resource: Resource.UNSPECIFIED, id })),
      'invalid_argument',
      /resource 0 is not a resource/,
    );
  });
});
