/**
 * Sets up the off-the-shelf alternative: the Node backend (bench/servers/nginx-backend.ts), B's
 * current CRL, and nginx in front (bench/servers/nginx-server.ts), each its own tracked process.
 * When no usable nginx is installed the scenario is skipped with the reason, never failing the run.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NginxBackendOptions } from '../servers/nginx-backend.js';
import { nginxWorkerProcesses } from '../servers/nginx-conf.js';
import type { NginxServerOptions } from '../servers/nginx-server.js';
import { fetchCrlPem } from './crl.js';
import { findNginx } from './nginx-binary.js';
import { type StackBHandle, startServer } from './processes.js';

export interface NginxScenarioInput {
  /** The run's temporary directory; nginx gets `nginx/` inside it. */
  tmp: string;
  host: string;
  /** PEM files: the server certificate nginx presents, and B's trust bundle (client CA). */
  certFile: string;
  keyFile: string;
  clientCaFile: string;
  /** B's trust bundle itself: pins the TLS of B's enrollment listener when fetching the CRL. */
  caPem: string;
  responseFile: string;
  b: Pick<StackBHandle, 'enrollmentUrl' | 'databaseUrl' | 'userId'>;
}

export interface RunningNginx {
  origin: string;
  version: string;
  workerProcesses: number;
  /** The processes that serve a request: nginx's wrapper (nginx master and worker below it) and the backend. */
  pids: number[];
  /** Stops nginx and its backend (both are also ended by `killAll`). */
  stop(): void;
}

export async function startNginxScenario(
  input: NginxScenarioInput,
): Promise<RunningNginx | { skipped: string }> {
  const binary = findNginx();
  if ('skipped' in binary) return binary;
  const crlFile = path.join(input.tmp, 'b-crl.pem');
  await writeFile(crlFile, await fetchCrlPem(input.b.enrollmentUrl, input.caPem));
  const backend = await startServer<{ port: number }>('servers/nginx-backend.ts', {
    host: '127.0.0.1',
    responseFile: input.responseFile,
    databaseUrl: input.b.databaseUrl,
    userId: input.b.userId,
  } satisfies NginxBackendOptions);
  try {
    const nginx = await startServer<{ port: number }>('servers/nginx-server.ts', {
      binary: binary.path,
      dir: path.join(input.tmp, 'nginx'),
      host: input.host,
      certFile: input.certFile,
      keyFile: input.keyFile,
      clientCaFile: input.clientCaFile,
      crlFile,
      backendPort: backend.ready.port,
    } satisfies NginxServerOptions);
    return {
      origin: `https://${input.host}:${nginx.ready.port}`,
      version: binary.version,
      workerProcesses: nginxWorkerProcesses,
      pids: [nginx.pid, backend.pid],
      stop() {
        nginx.stop();
        backend.stop();
      },
    };
  } catch (error) {
    backend.stop();
    throw error;
  }
}
