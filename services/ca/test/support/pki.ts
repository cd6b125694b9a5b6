import { execFile } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import forge from 'node-forge';
import { tempDir } from '../../../../test/support/mosaic-process.js';
import { type CaAuthority, createRootAuthority, loadAuthority } from '../../src/domain/index.js';

/** An RSA key pair made by node:crypto, with the PEMs forge needs to build test CSRs. */
export interface TestKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  privateKeyPem: string;
  publicKeyPem: string;
}

export function rsaKeyPair(bits = 2048): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return {
    privateKey,
    publicKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
}

/** A forge extension as CSR input: a known name with fields, or an OID with a DER value. */
export type CsrExtension = { name: string; [field: string]: unknown } | { id: string; value: Buffer };

/**
 * A PKCS#10 CSR built with forge and signed by forge (acceptable in tests only: it makes inputs).
 * `subject` and `extensions` are whatever the CSR should ask for.
 */
export function buildCsr(
  keys: TestKeyPair,
  options: { subject?: { name: string; value: string }[]; extensions?: CsrExtension[] } = {},
): string {
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem);
  csr.setSubject(options.subject ?? [{ name: 'commonName', value: 'peer' }]);
  if (options.extensions) {
    const extensions = options.extensions.map((extension) =>
      Buffer.isBuffer(extension.value)
        ? { id: extension.id, value: extension.value.toString('latin1') }
        : extension,
    );
    csr.setAttributes([{ name: 'extensionRequest', extensions }]);
  }
  csr.sign(
    forge.pki.privateKeyFromPem(keys.privateKeyPem) as forge.pki.rsa.PrivateKey,
    forge.md.sha256.create(),
  );
  return forge.pki.certificationRequestToPem(csr);
}

/** The same CSR with one byte of its signature flipped. */
export function tamperCsrSignature(csrPem: string): string {
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 5]! ^= 0x01;
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
}

export interface TestAuthority {
  authority: CaAuthority;
  certificatePem: string;
  privateKeyPem: string;
}

export function newAuthority(commonName = 'Mosaic Test CA', now?: Date): TestAuthority {
  const root = createRootAuthority({ commonName, lifetimeDays: 3650, ...(now ? { now } : {}) });
  return {
    authority: loadAuthority({
      id: `ca-${commonName}`,
      certificatePem: root.certificatePem,
      privateKeyPem: root.privateKeyPem,
    }),
    certificatePem: root.certificatePem,
    privateKeyPem: root.privateKeyPem,
  };
}

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together (openssl prints some verdicts, e.g. `verify OK`, on stderr). */
  output: string;
}

/** A temporary folder for openssl's input files; `remove()` in an `after` hook. */
export class OpensslWorkspace {
  private constructor(
    readonly dir: string,
    readonly remove: () => Promise<void>,
  ) {}

  static async create(): Promise<OpensslWorkspace> {
    const dir = await tempDir('mosaic-ca-openssl-');
    return new OpensslWorkspace(dir.path, dir.remove);
  }

  async write(name: string, content: string | Buffer): Promise<string> {
    const file = path.join(this.dir, name);
    await writeFile(file, content);
    return file;
  }

  async read(name: string): Promise<string> {
    return readFile(path.join(this.dir, name), 'utf8');
  }

  /** Runs `openssl <args>` in the workspace; never throws on a non-zero exit. */
  run(args: string[]): Promise<OpensslResult> {
    return new Promise((resolve, reject) => {
      execFile('openssl', args, { cwd: this.dir, timeout: 20_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(error);
          return;
        }
        const code = error ? Number(error.code) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}${stderr}` });
      });
    });
  }
}
