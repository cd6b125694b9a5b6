import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Binds a token's redemption lease to the redemption holding it (consume/release by claim id). */
export class AddEnrollmentClaimId1764000000000 implements MigrationInterface {
  name = 'AddEnrollmentClaimId1764000000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE enrollment_tokens ADD COLUMN claim_id uuid');
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE enrollment_tokens DROP COLUMN claim_id');
  }
}
