/**
 * Scenario 7b in its own process (the loops are synchronous and would stall stack A's event loop
 * in the orchestrator): client-certificate issuances per second through the CA's whole built-in
 * pipeline, `issueGrantCertificate` (grant fields → CSR policy incl. its signature → template
 * from the grant → RSA signature → validation of the issued certificate), against raw
 * `crypto.sign` per second with the same key, alternating in fixed windows, round by round.
 *
 * The CA is made by the CA's own `createRootAuthority` (RSA 3072, as every gateway's root) and
 * loaded with `loadAuthority`. CSRs are pre-generated with the requesting gateway's own
 * `createKeyAndCsr` (RSA 2048, what `peer add` sends); a small pool is cycled, each issuance for a
 * fresh grant id and user id (the pipeline caches nothing, so a reused CSR costs the same). The
 * registry INSERT and the RPC around it are not included here: onboarding end to end has them.
 *
 *   node --conditions=mosaic-source --import tsx bench/scenarios/ca-issuance-process.ts '<options JSON>'
 */
import { randomUUID, sign } from 'node:crypto';
import {
  createRootAuthority,
  defaultMosaicOids,
  issueGrantCertificate,
  loadAuthority,
} from '../../services/ca/src/domain/index.js';
import { createKeyAndCsr } from '../../services/gateway/src/pki/key-and-csr.js';

export interface CaIssuanceOptions {
  rounds: number;
  /** Length of each measured window, issuance and signatures alike. */
  windowMs: number;
  csrPoolSize: number;
}

export interface CaIssuanceResult {
  caKey: { type: string; modulusBits: number; hash: string };
  csrKeyBits: number;
  rounds: Array<{ round: number; issuancesPerSec: number; signaturesPerSec: number; ratio: number }>;
  /** Each pre-generated key and CSR, as `peer add` makes them on A (key generation dominates). */
  keyAndCsrMs: number[];
}

// The CA API's own policy (services/ca/src/api/ca-api.ts): CSR keys of at least 2048 bits.
const minRsaBits = 2048;
const csrKeyBits = 2048;
const lifetimeMs = 30 * 86_400_000;

/** Calls `work` back to back for `windowMs`; returns calls per second. */
function perSecond(windowMs: number, work: () => void): number {
  const started = performance.now();
  let count = 0;
  let elapsed = 0;
  do {
    work();
    count += 1;
    elapsed = performance.now() - started;
  } while (elapsed < windowMs);
  return count / (elapsed / 1000);
}

async function main(options: CaIssuanceOptions): Promise<CaIssuanceResult> {
  const root = createRootAuthority({ commonName: 'Mosaic bench CA', lifetimeDays: 365 });
  const authority = loadAuthority({
    id: 'bench-ca',
    certificatePem: root.certificatePem,
    privateKeyPem: root.privateKeyPem,
  });
  const details = authority.privateKey.asymmetricKeyDetails;

  const keyAndCsrMs: number[] = [];
  const csrs: string[] = [];
  for (let i = 0; i < options.csrPoolSize; i += 1) {
    const started = performance.now();
    const { csrPem } = await createKeyAndCsr({ commonName: '127.0.0.2', bits: csrKeyBits });
    keyAndCsrMs.push(Math.round((performance.now() - started) * 1000) / 1000);
    csrs.push(csrPem);
  }

  let next = 0;
  const issueOne = () =>
    issueGrantCertificate(
      authority,
      {
        grantId: randomUUID(),
        subjectUserId: randomUUID(),
        requestingServer: 'requesting.bench.example',
        csrPem: csrs[next++ % csrs.length]!,
        lifetimeMs,
        crlDistributionUrl: 'http://127.0.0.3:8444/crl',
      },
      { oids: defaultMosaicOids, minRsaBits },
    );
  // The signature baseline signs what the pipeline signs: bytes the size of an issued certificate.
  const signed = Buffer.from(issueOne().certificatePem);
  const signOne = () => {
    sign('sha256', signed, authority.privateKey);
  };
  // Warm-up (JIT, first-use costs), not recorded.
  perSecond(Math.min(200, options.windowMs), issueOne);
  perSecond(Math.min(200, options.windowMs), signOne);

  const rounds: CaIssuanceResult['rounds'] = [];
  for (let round = 1; round <= options.rounds; round += 1) {
    // Alternate which goes first so a slow stretch of the shared machine does not favour one.
    let issuancesPerSec: number;
    let signaturesPerSec: number;
    if (round % 2 === 1) {
      issuancesPerSec = perSecond(options.windowMs, issueOne);
      signaturesPerSec = perSecond(options.windowMs, signOne);
    } else {
      signaturesPerSec = perSecond(options.windowMs, signOne);
      issuancesPerSec = perSecond(options.windowMs, issueOne);
    }
    rounds.push({
      round,
      issuancesPerSec: Math.round(issuancesPerSec * 10) / 10,
      signaturesPerSec: Math.round(signaturesPerSec * 10) / 10,
      ratio: Math.round((issuancesPerSec / signaturesPerSec) * 1000) / 1000,
    });
  }
  return {
    caKey: {
      type: authority.privateKey.asymmetricKeyType ?? 'unknown',
      modulusBits: details?.modulusLength ?? 0,
      hash: 'sha256 (PKCS#1 v1.5)',
    },
    csrKeyBits,
    rounds,
    keyAndCsrMs,
  };
}

main(JSON.parse(process.argv[2] ?? '{}') as CaIssuanceOptions).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(
      `CA issuance benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
