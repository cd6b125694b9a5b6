import { createServiceDataSource, isMosaicError, type MosaicError, runMigrations } from '@mosaic/platform';
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import type { ItemContent, ItemOwner, NewItem } from '../../src/data/item-store.js';
import type { ResourceName } from '../../src/data/resource-names.js';
import { gatewayModule } from '../../src/module.js';

/** The gateway's migrations, all of them, as the service runs them. */
export const gatewayMigrations = gatewayModule.migrations;

/** A DataSource on the gateway schema of `url`, migrated. */
export async function openGatewayData(url: string, poolSize = 4): Promise<DataSource> {
  const dataSource = createServiceDataSource({
    url,
    schema: 'gateway',
    entities: [],
    migrations: gatewayMigrations,
    poolSize,
    applicationName: 'gateway-data-test',
    connectTimeoutMs: 5000,
  });
  await dataSource.initialize();
  await runMigrations(dataSource, 'gateway');
  return dataSource;
}

const empty: ItemContent = {
  title: '',
  body: '',
  tags: [],
  status: null,
  dueAt: null,
  kind: null,
  username: null,
  url: null,
  provider: null,
  maskedValue: null,
  expiresAt: null,
};

/** Store input for a plain item (tasks get an open status). */
export function newItem(
  resource: ResourceName,
  owner: ItemOwner,
  title: string,
  content: Partial<ItemContent> = {},
): NewItem {
  return {
    ...empty,
    status: resource === 'tasks' ? 'open' : null,
    ...content,
    resource,
    owner,
    title,
  };
}

export const personal = (id: string): ItemOwner => ({ kind: 'user', id });
export const team = (id: string): ItemOwner => ({ kind: 'team', id });

/** Awaits a rejection and checks it is a MosaicError of `kind` whose message matches. */
export async function expectMosaicError(
  promise: Promise<unknown>,
  kind: MosaicError['kind'],
  message: RegExp,
): Promise<MosaicError> {
  const error = await promise.then(
    () => expect.fail('the call succeeded'),
    (reason: unknown) => reason,
  );
  if (!isMosaicError(error)) throw error;
  expect(error.kind, error.message).to.equal(kind);
  expect(error.message).to.match(message);
  expect(error.remedy).to.be.a('string').and.not.equal('');
  return error;
}
