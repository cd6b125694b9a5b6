import type { MessageInitShape } from '@bufbuild/protobuf';
import { type Timestamp, timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Resource } from '@mosaic/contracts/v1/common_pb';
import {
  type Item,
  type ItemSchema,
  type Owner,
  type OwnerSchema,
  TaskStatus,
} from '@mosaic/contracts/v1/items_pb';
import { MosaicError, requireUuid } from '@mosaic/platform';
import type {
  ItemChange,
  ItemContent,
  ItemOwner,
  ItemRecord,
  NewItem,
  TaskStatusName,
} from './item-store.js';
import { type ItemCase, resourceFromProto, resourceOfItemCase, resourceToProto } from './resource-names.js';

/** Limits of a stored item. */
export const itemLimits = {
  titleChars: 500,
  bodyBytes: 64 * 1024,
  tags: 32,
  tagChars: 64,
  wordChars: 64,
  usernameChars: 256,
  urlChars: 2048,
  maskedValueChars: 64,
} as const;

/** A task's stored status as the contract's enum. */
export const taskStatusToProto: Readonly<Record<TaskStatusName, TaskStatus>> = {
  open: TaskStatus.OPEN,
  in_progress: TaskStatus.IN_PROGRESS,
  done: TaskStatus.DONE,
  cancelled: TaskStatus.CANCELLED,
};

const statusFromProto: ReadonlyMap<TaskStatus, TaskStatusName> = new Map(
  (Object.keys(taskStatusToProto) as TaskStatusName[]).map((name) => [taskStatusToProto[name], name]),
);

const ts = (date: Date | null) => (date ? timestampFromDate(date) : undefined);

function ownerToProto(owner: ItemOwner): MessageInitShape<typeof OwnerSchema> {
  return {
    owner: owner.kind === 'user' ? { case: 'userId', value: owner.id } : { case: 'teamId', value: owner.id },
  };
}

/**
 * An item as the contract carries it. Credentials and API keys carry their masked value and
 * metadata only: the store holds no secret, and none could be rendered here.
 */
export function itemToProto(item: ItemRecord): MessageInitShape<typeof ItemSchema> {
  const common = {
    id: item.id,
    owner: ownerToProto(item.owner),
    body: item.body,
    createdAt: ts(item.createdAt),
    updatedAt: ts(item.updatedAt),
  };
  const resource = resourceToProto(item.resource);
  switch (item.resource) {
    case 'tasks':
      return {
        resource,
        item: {
          case: 'task',
          value: {
            ...common,
            title: item.title,
            status: taskStatusToProto[item.status ?? 'open'],
            dueAt: ts(item.dueAt),
            tags: item.tags,
          },
        },
      };
    case 'notes':
      return { resource, item: { case: 'note', value: { ...common, title: item.title, tags: item.tags } } };
    case 'memory':
      return { resource, item: { case: 'memory', value: { ...common, title: item.title, tags: item.tags } } };
    case 'credentials':
      return {
        resource,
        item: {
          case: 'credential',
          value: {
            ...common,
            name: item.title,
            kind: item.kind ?? '',
            username: item.username ?? '',
            url: item.url ?? '',
            maskedValue: item.maskedValue ?? '',
            expiresAt: ts(item.expiresAt),
          },
        },
      };
    case 'api_keys':
      return {
        resource,
        item: {
          case: 'apiKey',
          value: {
            ...common,
            name: item.title,
            provider: item.provider ?? '',
            maskedValue: item.maskedValue ?? '',
            expiresAt: ts(item.expiresAt),
          },
        },
      };
  }
}

/** An update: the item's id, its new content, and the owner the caller believes it has (null if not sent). */
export type ItemUpdateInput = ItemChange & { owner: ItemOwner | null };

/**
 * Validates an `Item` from the admin API into store input. For `create` the owner is required and
 * the id must be empty (the server assigns it); for `update` the id is required and the owner optional.
 * Every refusal is an invalid_argument MosaicError naming the field, with a remedy.
 */
export function itemFromProto(item: Item | undefined, purpose: 'create'): NewItem;
export function itemFromProto(item: Item | undefined, purpose: 'update'): ItemUpdateInput;
export function itemFromProto(
  item: Item | undefined,
  purpose: 'create' | 'update',
): NewItem | ItemUpdateInput {
  if (!item || item.item.case === undefined) {
    throw invalid(
      'item is required: set exactly one of task, note, memory, credential or api_key.',
      'Send the item as one case of the Item oneof, for example {"note": {"title": "…", "owner": {"userId": "…"}}}.',
    );
  }
  const fromCase = resourceOfItemCase(item.item.case);
  const declared = item.resource === Resource.UNSPECIFIED ? fromCase : resourceFromProto(item.resource);
  if (!fromCase || !declared) {
    throw invalid(
      `resource ${item.resource} is not a resource this gateway knows.`,
      'Use one of tasks, notes, memory, credentials, api_keys (or leave resource unset: the item case names it).',
    );
  }
  if (declared !== fromCase) {
    throw invalid(
      `resource ${declared} does not match the item, which is a ${item.item.case}.`,
      `Set resource to ${fromCase}, or leave it unset.`,
    );
  }
  const resource = fromCase;
  const path = fieldPrefix(item.item.case);
  const value = item.item.value;
  const content = contentFromProto(item, path);
  const owner = value.owner ? ownerFromProto(value.owner, path) : null;
  if (purpose === 'create') {
    if (!owner) {
      throw invalid(
        `${path}.owner is required: an item is owned by a local user or a local team.`,
        `Set ${path}.owner.user_id (a personal item) or ${path}.owner.team_id (a team item).`,
      );
    }
    if (value.id !== '') {
      throw invalid(
        `${path}.id must be empty when creating an item: the gateway assigns it.`,
        'Leave the id unset, or call UpdateItem to change an existing item.',
      );
    }
    // A new task without a status is open.
    return { resource, owner, ...content, status: resource === 'tasks' ? (content.status ?? 'open') : null };
  }
  return { resource, id: requireUuid(value.id, `${path}.id`), owner, ...content };
}

function contentFromProto(item: Item, path: string): ItemContent {
  const content: ItemContent = {
    title: '',
    body: '',
    tags: [],
    status: null,
    dueAt: null,
    kind: null,
    username: null,
    url: null,
    provider: null,
    maskedValue: null,
    expiresAt: null,
  };
  const body = (value: string) => {
    if (Buffer.byteLength(value, 'utf8') > itemLimits.bodyBytes) {
      throw invalid(
        `${path}.body is longer than ${itemLimits.bodyBytes / 1024} KiB.`,
        'Shorten the body, or split the content into several items.',
      );
    }
    return value;
  };
  switch (item.item.case) {
    case 'task': {
      const task = item.item.value;
      return {
        ...content,
        title: title(task.title, `${path}.title`),
        body: body(task.body),
        tags: tags(task.tags, path),
        status: taskStatus(task.status, path),
        dueAt: date(task.dueAt),
      };
    }
    case 'note': {
      const note = item.item.value;
      return {
        ...content,
        title: title(note.title, `${path}.title`),
        body: body(note.body),
        tags: tags(note.tags, path),
      };
    }
    case 'memory': {
      // The contract lets a memory entry's summary line be empty; the entry then needs a body.
      const memory = item.item.value;
      if (memory.title.trim() === '' && memory.body.trim() === '') {
        throw invalid(
          `${path}.title and ${path}.body are both empty.`,
          'Give the memory entry a body (the title, a summary line, may stay empty).',
        );
      }
      const summary = memory.title.trim() === '' ? '' : title(memory.title, `${path}.title`);
      return { ...content, title: summary, body: body(memory.body), tags: tags(memory.tags, path) };
    }
    case 'credential': {
      const credential = item.item.value;
      return {
        ...content,
        title: title(credential.name, `${path}.name`),
        body: body(credential.body),
        kind: word(credential.kind, `${path}.kind`),
        username: bounded(credential.username, `${path}.username`, itemLimits.usernameChars),
        url: bounded(credential.url, `${path}.url`, itemLimits.urlChars),
        maskedValue: maskedValue(credential.maskedValue, `${path}.masked_value`, false),
        expiresAt: date(credential.expiresAt),
      };
    }
    case 'apiKey': {
      const apiKey = item.item.value;
      return {
        ...content,
        title: title(apiKey.name, `${path}.name`),
        body: body(apiKey.body),
        provider: word(apiKey.provider, `${path}.provider`),
        maskedValue: maskedValue(apiKey.maskedValue, `${path}.masked_value`, true),
        expiresAt: date(apiKey.expiresAt),
      };
    }
    default:
      throw invalid('item is required.', 'Set one case of the Item oneof.');
  }
}

function fieldPrefix(itemCase: ItemCase): string {
  return itemCase === 'apiKey' ? 'api_key' : itemCase;
}

function ownerFromProto(owner: Owner, path: string): ItemOwner | null {
  switch (owner.owner.case) {
    case 'userId':
      return { kind: 'user', id: requireUuid(owner.owner.value, `${path}.owner.user_id`) };
    case 'teamId':
      return { kind: 'team', id: requireUuid(owner.owner.value, `${path}.owner.team_id`) };
    default:
      return null;
  }
}

function title(value: string, field: string): string {
  const trimmed = value.trim();
  if (trimmed === '') {
    throw invalid(
      `${field} is empty.`,
      `Give the item a short ${field.endsWith('name') ? 'name' : 'title'}.`,
    );
  }
  if (trimmed.length > itemLimits.titleChars) {
    throw invalid(
      `${field} is longer than ${itemLimits.titleChars} characters.`,
      'Keep it to one short line; put the rest in the body.',
    );
  }
  return trimmed;
}

/** Lowercase, trimmed, de-duplicated in their order; at most 32, each 1-64 characters. */
function tags(values: readonly string[], path: string): string[] {
  if (values.length > itemLimits.tags) {
    throw invalid(
      `${path}.tags has ${values.length} tags; at most ${itemLimits.tags} are allowed.`,
      'Drop the least useful tags.',
    );
  }
  const normalised = values.map((tag) => tag.trim().toLowerCase());
  const bad = normalised.findIndex((tag) => tag === '' || tag.length > itemLimits.tagChars);
  if (bad !== -1) {
    throw invalid(
      `${path}.tags[${bad}] must have 1 to ${itemLimits.tagChars} characters.`,
      'Remove empty tags and shorten long ones.',
    );
  }
  return [...new Set(normalised)];
}

function taskStatus(status: TaskStatus, path: string): TaskStatusName | null {
  // Unset keeps the stored status on update and means "open" on create.
  if (status === TaskStatus.UNSPECIFIED) return null;
  const name = statusFromProto.get(status);
  if (!name) {
    throw invalid(
      `${path}.status ${status} is not a task status.`,
      'Use OPEN, IN_PROGRESS, DONE or CANCELLED.',
    );
  }
  return name;
}

const wordPattern = /^[a-z0-9][a-z0-9_.-]*$/;

/** A free-form lowercase word ("password", "openai"); may be empty. */
function word(value: string, field: string): string {
  const normalised = value.trim().toLowerCase();
  if (normalised !== '' && (normalised.length > itemLimits.wordChars || !wordPattern.test(normalised))) {
    throw invalid(
      `${field} "${value.slice(0, 64)}" is not a single lowercase word.`,
      `Use up to ${itemLimits.wordChars} letters, digits, dots, dashes or underscores, for example "token".`,
    );
  }
  return normalised;
}

function bounded(value: string, field: string, max: number): string {
  if (value.length > max) throw invalid(`${field} is longer than ${max} characters.`, 'Shorten it.');
  return value.trim();
}

const maskChars = '•*…';
const maskedCredential = new RegExp(`^[${maskChars}]+[^\\s${maskChars}]{0,4}$`, 'u');
const maskedApiKey = new RegExp(`^(?:[A-Za-z0-9]{1,8}[-_])?[${maskChars}]+[^\\s${maskChars}]{0,4}$`, 'u');

/**
 * A masked rendering, never a secret: a run of mask characters (•, * or …) then at most the last
 * 4 characters; an API key may keep a short public prefix such as "sk-". Empty means none.
 */
function maskedValue(value: string, field: string, allowPrefix: boolean): string {
  if (value === '') return '';
  const pattern = allowPrefix ? maskedApiKey : maskedCredential;
  if (value.length > itemLimits.maskedValueChars || !pattern.test(value)) {
    // The value may be a real secret sent by mistake: it is never echoed.
    throw invalid(
      `${field} is not a masked value.`,
      allowPrefix
        ? 'Send only the masked rendering, for example "sk-…3f9a": an optional public prefix, a mask, at most the last 4 characters. The key itself is never stored.'
        : 'Send only the masked rendering, for example "••••••••3f9a": a mask, then at most the last 4 characters. The secret itself is never stored.',
    );
  }
  return value;
}

function date(timestamp: Timestamp | undefined): Date | null {
  return timestamp ? timestampDate(timestamp) : null;
}

function invalid(message: string, remedy: string): MosaicError {
  return new MosaicError({ kind: 'invalid_argument', message, remedy });
}
