import https from 'node:https';

/** What the enrollment endpoint answered: status and JSON body. */
export interface EnrollAnswer {
  status: number;
  body: Record<string, unknown> & { error?: { message: string; reason: string | null } };
  headers: Record<string, string | string[] | undefined>;
}

/** POST /v1/enroll over TLS, trusting only `caPem` (the root the URL pins). */
let nextSource = 1;

/** A loopback source address of its own per call, so the per-source enrollment limit stays out of the way. */
export function freshSourceAddress(): string {
  nextSource += 1;
  return `127.0.${Math.floor(nextSource / 250) + 10}.${(nextSource % 250) + 1}`;
}

export function postEnroll(options: {
  host: string;
  port: number;
  caPem: string;
  body: Record<string, string>;
  /** The local address to connect from; a fresh one unless given. */
  sourceAddress?: string;
}): Promise<EnrollAnswer> {
  const payload = Buffer.from(JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: options.host,
        port: options.port,
        method: 'POST',
        path: '/v1/enroll',
        ca: options.caPem,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
        agent: false,
        localAddress: options.sourceAddress ?? freshSourceAddress(),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            headers: response.headers,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** The serving gateway's CA root, from its public bundle (fetched without TLS, as a peer does). */
export async function fetchRoot(host: string, port: number): Promise<string> {
  const response = await fetch(`http://${host}:${port}/.well-known/mosaic/trust-bundle`);
  const bundle = (await response.json()) as { roots: Array<{ certificatePem: string }> };
  return bundle.roots[0]!.certificatePem;
}
