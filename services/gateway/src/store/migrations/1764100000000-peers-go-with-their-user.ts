import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A peer enrolled for a local user is that user's alone. With ON DELETE SET NULL, deleting the
 * user turned their peer into one for every local user (`local_user_id` NULL), so another user's
 * queries could read the deleted user's data on the peer. The peer now goes with its user.
 */
export class PeersGoWithTheirUser1764100000000 implements MigrationInterface {
  name = 'PeersGoWithTheirUser1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE peers DROP CONSTRAINT peers_local_user_id_fkey');
    await runner.query(
      `ALTER TABLE peers ADD CONSTRAINT peers_local_user_id_fkey
         FOREIGN KEY (local_user_id) REFERENCES users (id) ON DELETE CASCADE`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE peers DROP CONSTRAINT peers_local_user_id_fkey');
    await runner.query(
      `ALTER TABLE peers ADD CONSTRAINT peers_local_user_id_fkey
         FOREIGN KEY (local_user_id) REFERENCES users (id) ON DELETE SET NULL`,
    );
  }
}
