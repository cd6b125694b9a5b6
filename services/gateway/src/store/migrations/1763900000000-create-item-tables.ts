import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The items of the five resources, in one table: each personal (owner_user_id) or team-owned
 * (owner_team_id), with a stored keyword-search vector and the indexes of the native-RBAC list queries.
 */
export class CreateItemTables1763900000000 implements MigrationInterface {
  name = 'CreateItemTables1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    // array_to_string(anyarray, text) is STABLE (element output may depend on settings), so
    // PostgreSQL refuses it in a generated column. For text[] the output is the text itself, so
    // this text[]-only wrapper is truly IMMUTABLE and lets the tags feed the vector directly.
    await runner.query(`
      CREATE FUNCTION item_tags_text(tags text[]) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        RETURN pg_catalog.array_to_string(tags, ' ')`);
    await runner.query(`
      CREATE TABLE items (
        id uuid PRIMARY KEY,
        resource text NOT NULL CHECK (resource IN ('tasks', 'notes', 'memory', 'credentials', 'api_keys')),
        owner_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
        owner_team_id uuid REFERENCES teams (id) ON DELETE CASCADE,
        title text NOT NULL,
        body text NOT NULL DEFAULT '',
        tags text[] NOT NULL DEFAULT '{}',
        status text CHECK (status IN ('open', 'in_progress', 'done', 'cancelled')),
        due_at timestamptz,
        kind text,
        username text,
        url text,
        provider text,
        masked_value text,
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        search_vector tsvector GENERATED ALWAYS AS (
          setweight(to_tsvector('simple', coalesce(title, '')), 'A')
          || setweight(to_tsvector('simple', coalesce(body, '') || ' ' || item_tags_text(tags)), 'B')
        ) STORED,
        CONSTRAINT items_one_owner CHECK ((owner_user_id IS NULL) <> (owner_team_id IS NULL)),
        CONSTRAINT items_task_status CHECK ((resource = 'tasks') = (status IS NOT NULL))
      )`);
    await runner.query(
      'CREATE INDEX items_personal_list_idx ON items (resource, owner_user_id, updated_at, id) WHERE owner_user_id IS NOT NULL',
    );
    await runner.query(
      'CREATE INDEX items_team_list_idx ON items (resource, owner_team_id, updated_at, id) WHERE owner_team_id IS NOT NULL',
    );
    await runner.query('CREATE INDEX items_search_idx ON items USING gin (search_vector)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE items');
    await runner.query('DROP FUNCTION item_tags_text(text[])');
  }
}
