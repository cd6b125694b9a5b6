import { type Team, type TeamMember, type User, UserRole } from '@mosaic/contracts/v1/directory_pb';
import { cell, isoOrNull, tableDate, textOrNull } from './format.js';
import { renderKeyValues, renderTable } from './table.js';

export type UserRoleName = 'member' | 'admin' | 'unknown';

export interface UserJson {
  id: string;
  username: string;
  displayName: string | null;
  email: string | null;
  role: UserRoleName;
  teamIds: string[];
  createdAt: string | null;
}

export interface TeamJson {
  id: string;
  name: string;
  description: string | null;
  memberCount: number;
  createdAt: string | null;
}

export interface TeamMemberJson {
  teamId: string;
  userId: string;
  addedAt: string | null;
}

export interface UserJsonResult {
  version: 1;
  user: UserJson;
}

export interface UserListJson {
  version: 1;
  users: UserJson[];
}

export interface UserDeletedJson {
  version: 1;
  userId: string;
  revokedGrantIds: string[];
}

export interface TeamJsonResult {
  version: 1;
  team: TeamJson;
}

export interface TeamListJson {
  version: 1;
  teams: TeamJson[];
}

export interface TeamMemberAddedJson {
  version: 1;
  member: TeamMemberJson;
}

const roleNames: Record<number, UserRoleName> = {
  [UserRole.MEMBER]: 'member',
  [UserRole.ADMIN]: 'admin',
};

export const userRoleByName: Record<Exclude<UserRoleName, 'unknown'>, UserRole> = {
  member: UserRole.MEMBER,
  admin: UserRole.ADMIN,
};

export function userJson(user: User): UserJson {
  return {
    id: user.id,
    username: user.username,
    displayName: textOrNull(user.displayName),
    email: textOrNull(user.email),
    role: roleNames[user.role] ?? 'unknown',
    teamIds: [...user.teamIds],
    createdAt: isoOrNull(user.createdAt),
  };
}

export function teamJson(team: Team): TeamJson {
  return {
    id: team.id,
    name: team.name,
    description: textOrNull(team.description),
    memberCount: team.memberCount,
    createdAt: isoOrNull(team.createdAt),
  };
}

export function teamMemberJson(member: TeamMember): TeamMemberJson {
  return { teamId: member.teamId, userId: member.userId, addedAt: isoOrNull(member.addedAt) };
}

export function renderUser(user: UserJson): string {
  return [
    `User ${user.username}`,
    renderKeyValues([
      ['id', user.id],
      ['display name', cell(user.displayName)],
      ['email', cell(user.email)],
      ['role', user.role],
      ['teams', user.teamIds.length > 0 ? user.teamIds : ['-']],
      ['created', tableDate(user.createdAt)],
    ]),
  ].join('\n');
}

export function renderUserList(view: UserListJson): string {
  if (view.users.length === 0) return 'No users. Create one with `mosaic user create <username>`.';
  return renderTable(
    ['ID', 'USERNAME', 'DISPLAY NAME', 'EMAIL', 'ROLE', 'TEAMS', 'CREATED'],
    view.users.map((user) => [
      user.id,
      user.username,
      cell(user.displayName),
      cell(user.email),
      user.role,
      String(user.teamIds.length),
      tableDate(user.createdAt),
    ]),
  );
}

export function renderUserDeleted(view: UserDeletedJson): string {
  const revoked = view.revokedGrantIds;
  return [
    `Deleted user ${view.userId}.`,
    revoked.length === 0
      ? 'No grant had this user as subject; none was revoked.'
      : `Revoked ${revoked.length} grant${revoked.length === 1 ? '' : 's'} whose subject was this user:`,
    ...revoked.map((id) => `  ${id}`),
  ].join('\n');
}

export function renderTeam(team: TeamJson): string {
  return [
    `Team ${team.name}`,
    renderKeyValues([
      ['id', team.id],
      ['description', cell(team.description)],
      ['members', String(team.memberCount)],
      ['created', tableDate(team.createdAt)],
    ]),
  ].join('\n');
}

export function renderTeamList(view: TeamListJson): string {
  if (view.teams.length === 0) return 'No teams. Create one with `mosaic team create <name>`.';
  return renderTable(
    ['ID', 'NAME', 'MEMBERS', 'DESCRIPTION', 'CREATED'],
    view.teams.map((team) => [
      team.id,
      team.name,
      String(team.memberCount),
      cell(team.description),
      tableDate(team.createdAt),
    ]),
  );
}

export interface TeamMemberListJson {
  version: 1;
  teamId: string;
  members: TeamMemberJson[];
}

export function renderTeamMemberList(view: TeamMemberListJson): string {
  if (view.members.length === 0) {
    return `Team ${view.teamId} has no members. Add one with \`mosaic team add-member ${view.teamId} <user-id>\`.`;
  }
  return renderTable(
    ['USER', 'SINCE'],
    view.members.map((member) => [member.userId, tableDate(member.addedAt)]),
  );
}

export function renderTeamMemberAdded(view: TeamMemberAddedJson): string {
  // Adding an existing member changes nothing, so this reads true either way.
  return `User ${view.member.userId} is a member of team ${view.member.teamId} since ${tableDate(view.member.addedAt)} UTC.`;
}
