/**
 * Where a running process allocates: V8's sampling heap profiler, started over the inspector
 * protocol with the objects that garbage collection has already freed included, so short-lived
 * garbage (what drives scavenges and promotion) counts as much as what stays.
 *
 *   MOSAIC_BENCH_B_NODE_FLAGS="--inspect=127.0.0.1:9239" npm run bench:ours -- --rounds=1
 *   node --import tsx bench/tools/heap-sampling.ts --port=9239 --seconds=7 [--out=alloc.heapprofile]
 *
 * Run it while a round is under way. Prints the allocation sites by self and inclusive share;
 * `--out` also writes the profile, which Chrome DevTools' Memory tab opens. `--promoted` leaves
 * out what the young generation collected: what remains outlived it (promoted to the old
 * generation, live or collected later by a major GC), the allocations that drive major GCs.
 */
import { writeFile } from 'node:fs/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  callFrame: CallFrame;
  selfSize: number;
  children: ProfileNode[];
}

interface Args {
  port: number;
  seconds: number;
  out?: string;
  top: number;
  /** Only objects that outlived the young generation. */
  promoted: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (flag: string) => argv.find((arg) => arg.startsWith(`--${flag}=`))?.slice(flag.length + 3);
  const port = Number(value('port'));
  const seconds = Number(value('seconds') ?? 5);
  const top = Number(value('top') ?? 30);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(
      '--port=<n> is required: the inspector port the process was started with (--inspect=127.0.0.1:<n>)',
    );
  }
  if (!(seconds > 0) || !(top > 0)) throw new Error('--seconds and --top must be positive numbers');
  const out = value('out');
  return { port, seconds, top, promoted: argv.includes('--promoted'), ...(out ? { out } : {}) };
}

/** One inspector session: `call` sends a command and resolves with its result. */
async function openInspector(port: number) {
  const response = await fetch(`http://127.0.0.1:${port}/json/list`).catch((error: unknown) => {
    throw new Error(
      `no inspector on 127.0.0.1:${port} (start the process with --inspect=127.0.0.1:${port})`,
      {
        cause: error,
      },
    );
  });
  const [target] = (await response.json()) as Array<{ webSocketDebuggerUrl: string }>;
  if (!target) throw new Error(`the inspector on 127.0.0.1:${port} lists no target`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('error', () => reject(new Error('the inspector refused the session')), {
      once: true,
    });
  });
  let lastId = 0;
  const pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  socket.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data)) as {
      id?: number;
      result?: unknown;
      error?: { message: string };
    };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(message.error.message));
    else waiter.resolve(message.result);
  });
  return {
    call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = ++lastId;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) =>
        pending.set(id, { resolve: resolve as (r: unknown) => void, reject }),
      );
    },
    close: () => socket.close(),
  };
}

function frameName({ functionName, url, lineNumber }: CallFrame): string {
  const where = url.replace(/.*node_modules\//, '').replace(/.*\/(services|packages)\//, '$1/');
  const line = lineNumber >= 0 ? `:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where || '(native)'}${line}`;
}

/** Bytes allocated by each frame itself, and by each frame and everything it called. */
function allocationSites(head: ProfileNode) {
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, callers: ReadonlySet<string>) => {
    const name = frameName(node.callFrame);
    total += node.selfSize;
    self.set(name, (self.get(name) ?? 0) + node.selfSize);
    // A frame that recurses is counted once per sample.
    const stack = new Set(callers).add(name);
    for (const frame of stack) inclusive.set(frame, (inclusive.get(frame) ?? 0) + node.selfSize);
    for (const child of node.children) walk(child, stack);
  };
  walk(head, new Set());
  return { self, inclusive, total };
}

async function main(args: Args): Promise<void> {
  const inspector = await openInspector(args.port);
  try {
    await inspector.call('HeapProfiler.enable');
    await inspector.call('HeapProfiler.startSampling', {
      samplingInterval: 8_192,
      includeObjectsCollectedByMinorGC: !args.promoted,
      includeObjectsCollectedByMajorGC: true,
    });
    const what = args.promoted ? 'allocations that outlive the young generation' : 'allocations';
    process.stderr.write(`sampling ${what} for ${args.seconds} s…\n`);
    await new Promise((resolve) => setTimeout(resolve, args.seconds * 1000));
    const { profile } = await inspector.call<{ profile: { head: ProfileNode } }>('HeapProfiler.stopSampling');
    if (args.out) await writeFile(args.out, JSON.stringify(profile));
    const { self, inclusive, total } = allocationSites(profile.head);
    const share = (bytes: number) => `${((100 * bytes) / total).toFixed(1).padStart(5)}%`;
    const rows = (sites: Map<string, number>) =>
      [...sites]
        .sort((a, b) => b[1] - a[1])
        .slice(0, args.top)
        .map(([name, bytes]) => `${share(bytes)}  ${name}`)
        .join('\n');
    process.stdout.write(
      `${(total / 1e6).toFixed(1)} MB ${args.promoted ? 'promoted' : 'allocated'} in ${args.seconds} s (sampled)\n\n` +
        `self:\n${rows(self)}\n\ninclusive:\n${rows(inclusive)}\n`,
    );
  } finally {
    inspector.close();
  }
}

Promise.resolve()
  .then(() => main(parseArgs(process.argv.slice(2))))
  .catch((error: unknown) => {
    process.stderr.write(`heap-sampling: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
