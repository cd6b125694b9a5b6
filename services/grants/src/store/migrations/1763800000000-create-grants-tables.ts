import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Grants with their lifecycle (SPEC §4) and single-use enrollment tokens, stored hashed. */
export class CreateGrantsTables1763800000000 implements MigrationInterface {
  name = 'CreateGrantsTables1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE grants (
        id uuid PRIMARY KEY,
        subject_user_id uuid NOT NULL,
        requesting_server text NOT NULL,
        requesting_ca_fingerprint text,
        active_cert_fingerprint text,
        active_cert_serial text,
        active_cert_expires_at timestamptz,
        previous_cert_fingerprint text,
        previous_cert_valid_until timestamptz,
        scope jsonb NOT NULL,
        rate_limit_rpm integer NOT NULL DEFAULT 60 CHECK (rate_limit_rpm > 0),
        status text NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'revoked')),
        suspended_at timestamptz,
        suspended_until timestamptz,
        suspend_reason text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        activated_at timestamptz,
        revoked_at timestamptz,
        revoke_reason text,
        last_used_at timestamptz,
        notes text NOT NULL DEFAULT ''
      )`);
    await runner.query('CREATE INDEX grants_subject_idx ON grants (subject_user_id)');
    await runner.query('CREATE INDEX grants_status_idx ON grants (status)');
    await runner.query(`
      CREATE TABLE enrollment_tokens (
        token_hash bytea PRIMARY KEY,
        grant_id uuid NOT NULL REFERENCES grants (id),
        expires_at timestamptz NOT NULL,
        -- A redemption in progress holds the token until this time; a failed one releases it.
        claimed_until timestamptz,
        consumed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query('CREATE INDEX enrollment_tokens_grant_idx ON enrollment_tokens (grant_id)');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE enrollment_tokens');
    await runner.query('DROP TABLE grants');
  }
}
