// What `mosaic dev` puts on the serving gateway (B): two users, a team each, and a few items of
// every resource the demo grant covers, for each user personally and for each team. Pure data.

export type DevUserName = 'alice' | 'bob';
export type DevTeamName = 'platform' | 'finance';
export type DevOwnerName = DevUserName | DevTeamName;

export interface DevUser {
  username: DevUserName;
  displayName: string;
  email: string;
}

export interface DevTeam {
  name: DevTeamName;
  description: string;
  members: readonly DevUserName[];
}

export type DevTaskStatus = 'open' | 'in_progress' | 'done';

/** One seeded item; credentials carry a masked value only, never a secret. */
export type DevItem =
  | { kind: 'task'; title: string; body: string; status: DevTaskStatus; tags: string[] }
  | { kind: 'note'; title: string; body: string; tags: string[] }
  | { kind: 'memory'; title: string; body: string; tags: string[] }
  | {
      kind: 'credential';
      name: string;
      body: string;
      credentialKind: string;
      username: string;
      url: string;
      maskedValue: string;
    };

export const devUsers: readonly DevUser[] = [
  { username: 'alice', displayName: 'Alice Martin', email: 'alice@example.org' },
  { username: 'bob', displayName: 'Bob Chen', email: 'bob@example.org' },
];

export const devTeams: readonly DevTeam[] = [
  { name: 'platform', description: 'Platform engineering', members: ['alice'] },
  { name: 'finance', description: 'Finance and procurement', members: ['bob'] },
];

/** The scope of the demo grant, as written to its --scope-file (SPEC §4). */
export const devScope = { resources: ['tasks', 'notes', 'memory'] } as const;

export const devItems: Readonly<Record<DevOwnerName, readonly DevItem[]>> = {
  alice: [
    {
      kind: 'task',
      title: 'Review the Q3 roadmap draft',
      body: 'Comments due before the planning meeting.',
      status: 'open',
      tags: ['planning'],
    },
    {
      kind: 'task',
      title: 'Renew the conference registration',
      body: '',
      status: 'in_progress',
      tags: ['travel'],
    },
    {
      kind: 'task',
      title: 'Send the onboarding checklist to the new hire',
      body: '',
      status: 'done',
      tags: ['people'],
    },
    {
      kind: 'note',
      title: '1:1 with Bob',
      body: 'Discussed the budget review and the on-call rotation.',
      tags: ['meetings'],
    },
    {
      kind: 'note',
      title: 'Reading list',
      body: '- Designing Data-Intensive Applications\n- The Phoenix Project',
      tags: ['personal'],
    },
    {
      kind: 'memory',
      title: 'Preferred meeting hours',
      body: 'Alice prefers meetings between 10:00 and 15:00 CET.',
      tags: ['preferences'],
    },
    {
      kind: 'memory',
      title: 'Editor',
      body: 'Alice writes code in Neovim with the default keymap.',
      tags: ['preferences'],
    },
    {
      kind: 'credential',
      name: 'staging database',
      body: 'Read-only account for the staging reporting database.',
      credentialKind: 'password',
      username: 'alice_ro',
      url: 'postgres://staging-db.internal:5432/reports',
      maskedValue: '••••1234',
    },
  ],
  bob: [
    {
      kind: 'task',
      title: 'Reconcile the September invoices',
      body: 'Twelve invoices are still unmatched.',
      status: 'in_progress',
      tags: ['accounting'],
    },
    { kind: 'task', title: 'Book the team offsite venue', body: '', status: 'open', tags: ['events'] },
    {
      kind: 'note',
      title: 'Vendor contacts',
      body: 'Accounts payable questions go to the shared finance inbox.',
      tags: ['vendors'],
    },
    {
      kind: 'note',
      title: 'Expense policy changes',
      body: 'Meals above 50 EUR need a receipt from October on.',
      tags: ['policy'],
    },
    {
      kind: 'memory',
      title: 'Report format',
      body: 'Bob wants monthly reports as CSV, not PDF.',
      tags: ['preferences'],
    },
    {
      kind: 'memory',
      title: '',
      body: 'Bob is out of office the first week of December.',
      tags: ['calendar'],
    },
  ],
  platform: [
    {
      kind: 'task',
      title: 'Upgrade the cluster to the next minor version',
      body: 'Staging first, then production.',
      status: 'open',
      tags: ['kubernetes'],
    },
    { kind: 'task', title: 'Rotate the CI runners’ tokens', body: '', status: 'done', tags: ['security'] },
    {
      kind: 'note',
      title: 'Incident 2024-11 postmortem',
      body: 'Root cause: an expired intermediate certificate on the ingress.',
      tags: ['incident'],
    },
    {
      kind: 'note',
      title: 'On-call handbook',
      body: 'Page the secondary after 15 minutes without acknowledgement.',
      tags: ['oncall'],
    },
    {
      kind: 'memory',
      title: 'Deploy window',
      body: 'Production deploys happen Tuesday to Thursday, 09:00 to 16:00.',
      tags: ['process'],
    },
    {
      kind: 'memory',
      title: 'Runbook location',
      body: 'Runbooks live in the platform wiki under /ops/runbooks.',
      tags: ['docs'],
    },
  ],
  finance: [
    {
      kind: 'task',
      title: 'Close the books for October',
      body: '',
      status: 'open',
      tags: ['accounting'],
    },
    {
      kind: 'task',
      title: 'Prepare the audit binder',
      body: 'Collect the signed contracts.',
      status: 'in_progress',
      tags: ['audit'],
    },
    {
      kind: 'note',
      title: 'Budget 2025 assumptions',
      body: 'Headcount flat; cloud spend +8 %.',
      tags: ['budget'],
    },
    {
      kind: 'note',
      title: 'Payment run schedule',
      body: 'Supplier payments run on the 5th and the 20th.',
      tags: ['process'],
    },
    {
      kind: 'memory',
      title: 'Fiscal year',
      body: 'The fiscal year starts on 1 April.',
      tags: ['calendar'],
    },
    {
      kind: 'memory',
      title: 'Approval limits',
      body: 'Purchases above 10 000 EUR need two approvals.',
      tags: ['policy'],
    },
  ],
};
