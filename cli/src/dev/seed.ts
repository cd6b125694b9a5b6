import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ItemSchema } from '@mosaic/contracts/v1/items_pb';
import { TaskStatus } from '@mosaic/contracts/v1/items_pb';
import type { TeamJsonResult, TeamMemberAddedJson, UserJsonResult } from '../render/directory-view.js';
import { allPages } from './dev-admin-client.js';
import type { DevDir } from './dev-dir.js';
import type { DevGateway, DevSteps } from './dev-gateway.js';
import {
  type DevItem,
  type DevOwnerName,
  type DevTaskStatus,
  type DevTeamName,
  type DevUserName,
  devItems,
  devTeams,
  devUsers,
} from './seed-data.js';

export interface SeededDirectory {
  users: Record<DevUserName, string>;
  teams: Record<DevTeamName, string>;
  /** What this run created (zero everywhere when a reused dir had it all). */
  created: { users: number; teams: number; memberships: number; items: number };
}

/**
 * Seeds the serving gateway through its admin API: users, teams and memberships with the real
 * `mosaic user|team` commands, items with CreateItem (no CLI command exists for items). Whatever
 * an earlier run already created is found by asking the admin API and left alone.
 */
export async function seedServingGateway(
  b: DevGateway,
  steps: DevSteps,
  dir: DevDir,
): Promise<SeededDirectory> {
  const created = { users: 0, teams: 0, memberships: 0, items: 0 };

  const existingUsers = await steps.rpc(
    b,
    allPages(async (pageToken) => {
      const page = await b.admin.listUsers({ pageToken });
      return { items: page.users, nextPageToken: page.nextPageToken };
    }),
  );
  const userIds = new Map(existingUsers.map((user) => [user.username, user.id]));
  await Promise.all(
    devUsers
      .filter((user) => !userIds.has(user.username))
      .map(async (user) => {
        const result = await steps.cli<UserJsonResult>(b, {
          label: `mosaic user create ${user.username}`,
          args: ['user', 'create', user.username, '--display-name', user.displayName, '--email', user.email],
        });
        userIds.set(user.username, result.user.id);
        created.users++;
      }),
  );

  const existingTeams = await steps.rpc(
    b,
    allPages(async (pageToken) => {
      const page = await b.admin.listTeams({ pageToken });
      return { items: page.teams, nextPageToken: page.nextPageToken };
    }),
  );
  const teamIds = new Map(existingTeams.map((team) => [team.name, team.id]));
  await Promise.all(
    devTeams
      .filter((team) => !teamIds.has(team.name))
      .map(async (team) => {
        const result = await steps.cli<TeamJsonResult>(b, {
          label: `mosaic team create ${team.name}`,
          args: ['team', 'create', team.name, '--description', team.description],
        });
        teamIds.set(team.name, result.team.id);
        created.teams++;
      }),
  );

  const users = {} as Record<DevUserName, string>;
  for (const user of devUsers) users[user.username] = userIds.get(user.username)!;
  const teams = {} as Record<DevTeamName, string>;
  for (const team of devTeams) teams[team.name] = teamIds.get(team.name)!;

  await Promise.all(
    devTeams.map(async (team) => {
      const members = await steps.rpc(
        b,
        allPages(async (pageToken) => {
          const page = await b.admin.listTeamMembers({ teamId: teams[team.name], pageToken });
          return { items: page.members, nextPageToken: page.nextPageToken };
        }),
      );
      const present = new Set(members.map((member) => member.userId));
      for (const username of team.members) {
        if (present.has(users[username])) continue;
        await steps.cli<TeamMemberAddedJson>(b, {
          label: `mosaic team add-member ${team.name} ${username}`,
          args: ['team', 'add-member', teams[team.name], users[username]],
        });
        created.memberships++;
      }
    }),
  );

  const marker = await dir.readMarker();
  if (!marker.itemsSeeded) {
    const owners: Record<DevOwnerName, Owner> = {
      alice: { case: 'userId', value: users.alice },
      bob: { case: 'userId', value: users.bob },
      platform: { case: 'teamId', value: teams.platform },
      finance: { case: 'teamId', value: teams.finance },
    };
    for (const [owner, items] of Object.entries(devItems) as Array<[DevOwnerName, readonly DevItem[]]>) {
      for (const item of items) {
        await steps.rpc(b, b.admin.createItem({ item: itemInit(item, owners[owner]) }));
        created.items++;
      }
    }
    await dir.writeMarker({ ...marker, itemsSeeded: true });
  }
  return { users, teams, created };
}

type Owner = { case: 'userId'; value: string } | { case: 'teamId'; value: string };

const taskStatus: Record<DevTaskStatus, TaskStatus> = {
  open: TaskStatus.OPEN,
  in_progress: TaskStatus.IN_PROGRESS,
  done: TaskStatus.DONE,
};

/** The CreateItem payload of one seed item. */
function itemInit(item: DevItem, owner: Owner): MessageInitShape<typeof ItemSchema> {
  const ownedBy = { owner };
  switch (item.kind) {
    case 'task':
      return {
        item: {
          case: 'task',
          value: {
            owner: ownedBy,
            title: item.title,
            body: item.body,
            status: taskStatus[item.status],
            tags: item.tags,
          },
        },
      };
    case 'note':
      return {
        item: {
          case: 'note',
          value: { owner: ownedBy, title: item.title, body: item.body, tags: item.tags },
        },
      };
    case 'memory':
      return {
        item: {
          case: 'memory',
          value: { owner: ownedBy, title: item.title, body: item.body, tags: item.tags },
        },
      };
    case 'credential':
      return {
        item: {
          case: 'credential',
          value: {
            owner: ownedBy,
            name: item.name,
            body: item.body,
            kind: item.credentialKind,
            username: item.username,
            url: item.url,
            maskedValue: item.maskedValue,
          },
        },
      };
  }
}
