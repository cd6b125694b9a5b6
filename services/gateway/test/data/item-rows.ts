/** Generated item rows, as `listVisibleRows` reads them, for the wire encoders' tests. */
import { type ItemColumn, resourceColumns } from '../../src/data/item-store.js';
import type { ItemRow } from '../../src/data/item-wire.js';
import type { ResourceName } from '../../src/data/resource-names.js';

/** A small deterministic generator (mulberry32), so a failure names a seed that replays it. */
export function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  const text = () =>
    pick([
      '',
      'a',
      'plain words',
      'ünïcødé ✓',
      'emoji 🚀🙂',
      'x'.repeat(300),
      'é'.repeat(20_000),
      'tab\tnewline\n',
      '\u0000nul',
      'lone \ud800 surrogate',
      '\udfff',
    ]);
  // Epoch milliseconds as the store reads them (float8), around 0, negative, and far future.
  const ms = () =>
    pick([0, 999, -1, -1_500, 1_796_154_475_548, 253_402_300_799_999, Math.floor(next() * 4e12) - 1e12]);
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(next() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return { next, pick, text, ms, uuid };
}

/** A row as `listVisibleRows` reads it for `resource`: one value per column, in its order. */
export function row(resource: ResourceName, rng: ReturnType<typeof random>): ItemRow {
  const teamOwned = rng.next() < 0.5;
  const owner = rng.uuid();
  const value: Record<ItemColumn, () => unknown> = {
    id: rng.uuid,
    resource: () => resource,
    owner_user_id: () => (teamOwned ? null : owner),
    owner_team_id: () => (teamOwned ? owner : null),
    title: rng.text,
    body: rng.text,
    tags: () => rng.pick([[], ['one'], ['', 'b'], ['a', 'b', 'c', 'ü'], ['{"x"}', 'NULL', '🚀']]),
    created_at_ms: rng.ms,
    updated_at_ms: rng.ms,
    // A stored status the contract does not know is left out, as protobuf-es leaves out undefined.
    status: () => rng.pick([null, 'open', 'in_progress', 'done', 'cancelled', 'archived']),
    due_at_ms: () => (rng.next() < 0.3 ? null : rng.ms()),
    kind: () => rng.pick([null, '', 'password', 'ssh']),
    username: () => rng.pick([null, '', 'alice']),
    url: () => rng.pick([null, '', 'https://example.test/a?b=c']),
    provider: () => rng.pick([null, '', 'openai']),
    masked_value: () => rng.pick([null, '', '••••1234']),
    expires_at_ms: () => (rng.next() < 0.3 ? null : rng.ms()),
  };
  return resourceColumns[resource].names.map((name) => value[name]());
}
