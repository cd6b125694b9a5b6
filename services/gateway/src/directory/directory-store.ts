import { randomUUID } from 'node:crypto';
import { MosaicError, queryRows } from '@mosaic/platform';
import type { DataSource } from 'typeorm';

export interface UserRecord {
  id: string;
  username: string;
  displayName: string;
  email: string;
  role: 'member' | 'admin';
  teamIds: string[];
  createdAt: Date;
}

export interface TeamRecord {
  id: string;
  name: string;
  description: string;
  memberCount: number;
  createdAt: Date;
}

const usernamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The gateway's local directory: users, teams and memberships (native RBAC builds on it). */
export class DirectoryStore {
  constructor(private readonly dataSource: DataSource) {}

  async createUser(input: {
    username: string;
    displayName: string;
    email: string;
    role: 'member' | 'admin';
  }) {
    const username = input.username.trim().toLowerCase();
    if (!usernamePattern.test(username)) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: `username "${input.username.slice(0, 64)}" is not valid.`,
        remedy:
          'Use 1-63 lowercase letters, digits, dots, dashes or underscores, starting with a letter or digit.',
      });
    }
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO users (id, username, display_name, email, role) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username) DO NOTHING RETURNING *`,
      [randomUUID(), username, input.displayName, input.email, input.role],
    );
    if (!rows[0]) {
      throw new MosaicError({
        kind: 'already_exists',
        message: `a user named "${username}" already exists.`,
        remedy: 'Pick another username, or use the existing user (`mosaic user list`).',
      });
    }
    return userFromRow({ ...rows[0], team_ids: [] });
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT u.*, COALESCE(array_agg(m.team_id ORDER BY m.team_id) FILTER (WHERE m.team_id IS NOT NULL), '{}') AS team_ids
       FROM users u LEFT JOIN memberships m ON m.user_id = u.id WHERE u.id = $1 GROUP BY u.id`,
      [id],
    );
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async listUsers(limit: number, after?: string): Promise<UserRecord[]> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT u.*, COALESCE(array_agg(m.team_id ORDER BY m.team_id) FILTER (WHERE m.team_id IS NOT NULL), '{}') AS team_ids
       FROM users u LEFT JOIN memberships m ON m.user_id = u.id
       WHERE ($1::text IS NULL OR u.username > $1) GROUP BY u.id ORDER BY u.username LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map(userFromRow);
  }

  async deleteUser(id: string): Promise<boolean> {
    const rows = await queryRows(this.dataSource, 'DELETE FROM users WHERE id = $1 RETURNING id', [id]);
    return rows.length === 1;
  }

  async createTeam(input: { name: string; description: string }): Promise<TeamRecord> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 100) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: 'a team name must have 1 to 100 characters.',
        remedy: 'Pass a short, unique team name.',
      });
    }
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO teams (id, name, description) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING *`,
      [randomUUID(), name, input.description],
    );
    if (!rows[0]) {
      throw new MosaicError({
        kind: 'already_exists',
        message: `a team named "${name}" already exists.`,
        remedy: 'Pick another name, or use the existing team (`mosaic team list`).',
      });
    }
    return teamFromRow({ ...rows[0], member_count: 0 });
  }

  async listTeams(limit: number, after?: string): Promise<TeamRecord[]> {
    const rows = await queryRows(
      this.dataSource,
      `SELECT t.*, count(m.user_id)::int AS member_count FROM teams t LEFT JOIN memberships m ON m.team_id = t.id
       WHERE ($1::text IS NULL OR t.name > $1) GROUP BY t.id ORDER BY t.name LIMIT $2`,
      [after ?? null, limit],
    );
    return rows.map(teamFromRow);
  }

  async addMember(
    teamId: string,
    userId: string,
  ): Promise<{ teamId: string; userId: string; addedAt: Date }> {
    const rows = await queryRows(
      this.dataSource,
      `INSERT INTO memberships (team_id, user_id)
       SELECT t.id, u.id FROM teams t, users u WHERE t.id = $1 AND u.id = $2
       ON CONFLICT (team_id, user_id) DO UPDATE SET team_id = EXCLUDED.team_id
       RETURNING team_id, user_id, created_at`,
      [teamId, userId],
    );
    if (!rows[0]) {
      throw new MosaicError({
        kind: 'not_found',
        message: `team ${teamId} or user ${userId} does not exist.`,
        remedy: 'Check the ids with `mosaic team list` and `mosaic user list`.',
      });
    }
    const row = rows[0] as { team_id: string; user_id: string; created_at: Date };
    return { teamId: row.team_id, userId: row.user_id, addedAt: row.created_at };
  }

  async removeMember(teamId: string, userId: string): Promise<boolean> {
    const rows = await queryRows(
      this.dataSource,
      'DELETE FROM memberships WHERE team_id = $1 AND user_id = $2 RETURNING team_id',
      [teamId, userId],
    );
    return rows.length === 1;
  }

  async listMembers(teamId: string, limit: number, after?: string) {
    const rows: Array<{ team_id: string; user_id: string; created_at: Date }> = await queryRows(
      this.dataSource,
      `SELECT team_id, user_id, created_at FROM memberships WHERE team_id = $1 AND ($2::uuid IS NULL OR user_id > $2)
       ORDER BY user_id LIMIT $3`,
      [teamId, after ?? null, limit],
    );
    return rows.map((row) => ({ teamId: row.team_id, userId: row.user_id, addedAt: row.created_at }));
  }
}

function userFromRow(row: Record<string, unknown>): UserRecord {
  return {
    id: row.id as string,
    username: row.username as string,
    displayName: row.display_name as string,
    email: row.email as string,
    role: row.role as 'member' | 'admin',
    teamIds: (row.team_ids as string[]) ?? [],
    createdAt: row.created_at as Date,
  };
}

function teamFromRow(row: Record<string, unknown>): TeamRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    description: row.description as string,
    memberCount: Number(row.member_count ?? 0),
    createdAt: row.created_at as Date,
  };
}
