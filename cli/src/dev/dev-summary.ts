import path from 'node:path';
import { renderKeyValues } from '../render/table.js';
import type { DevTeamName, DevUserName } from './seed-data.js';

export interface DevGatewayJson {
  host: string;
  adminUrl: string;
  dataDir: string;
}

/** `mosaic dev --json`: one object, version 1. */
export interface DevJson {
  version: 1;
  dir: string;
  /** The requesting gateway. */
  a: DevGatewayJson;
  /** The serving gateway. */
  b: DevGatewayJson;
  /** User ids on B. */
  users: Record<DevUserName, string>;
  /** Team ids on B. */
  teams: Record<DevTeamName, string>;
  /** The grant on B (subject alice, peer A). */
  grantId: string;
  /** The peer on A (B, enrolled with that grant). */
  peerId: string;
}

/** What the human summary adds to the JSON facts. */
export interface DevSummaryContext {
  setupOnly: boolean;
  reused: boolean;
  /** The dir is removed when the demo stops. */
  removedOnStop: boolean;
  logsDir: string;
}

/** A shell word: as it is when safe, else single-quoted. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

function against(gateway: DevGatewayJson): string {
  const tokenFile = path.join(gateway.dataDir, 'secrets', 'admin.token');
  return `MOSAIC_ENDPOINT=${gateway.adminUrl} MOSAIC_TOKEN=$(cat ${shellWord(tokenFile)}) npx mosaic`;
}

export function renderDevSummary(view: DevJson, context: DevSummaryContext): string {
  const tryIt = [
    `${against(view.a)} federation peer list`,
    `${against(view.b)} federation grant show ${view.grantId}`,
    `${against(view.b)} federation grant list`,
    `${against(view.b)} user list`,
    `${against(view.b)} team list`,
  ];
  const stop = context.setupOnly
    ? [
        context.removedOnStop
          ? 'Both gateways are stopped again (--setup-only) and the temp dir is removed (keep it with --keep).'
          : `Both gateways are stopped again (--setup-only); \`mosaic dev --dir ${shellWord(view.dir)}\` starts them with this data (on new ports).`,
      ]
    : [
        `Stop both gateways with Ctrl-C; ${context.removedOnStop ? 'the temp dir is removed then (keep it with --keep)' : `the data stays in ${view.dir} (\`mosaic dev --dir ${shellWord(view.dir)}\` starts it again)`}.`,
      ];
  return [
    '',
    `Mosaic dev: two gateways on loopback, local tier${context.reused ? ' (data of an earlier run)' : ''}`,
    renderKeyValues([
      ['B (serving)', `${view.b.host}  admin API ${view.b.adminUrl}  data ${view.b.dataDir}`],
      ['A (requesting)', `${view.a.host}  admin API ${view.a.adminUrl}  data ${view.a.dataDir}`],
      ['data dir', view.dir],
      ['logs', context.logsDir],
      ['users on B', [`alice ${view.users.alice}`, `bob   ${view.users.bob}`]],
      ['teams on B', [`platform ${view.teams.platform} (alice)`, `finance  ${view.teams.finance} (bob)`]],
      ['items on B', 'tasks, notes and memory for each user and team; one credential for alice'],
      ['grant on B', `${view.grantId}  alice → ${view.a.host}, tasks, notes, memory`],
      ['peer on A', `${view.peerId}  ${view.b.host}, enrolled with that grant`],
    ]),
    '',
    context.setupOnly ? 'Commands (valid while the gateways run):' : 'Try it, in another terminal:',
    ...tryIt.map((line) => `  ${line}`),
    '',
    ...stop,
    '',
  ].join('\n');
}
