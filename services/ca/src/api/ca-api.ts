import type { MessageInitShape } from '@bufbuild/protobuf';
import { type Duration, durationMs, timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  type CaService,
  CertificateKind,
  type CertificateRecordSchema,
  CertificateStatus,
  type GetBundleRequest,
  type GetCrlRequest,
  type IssueServerCertificateRequest,
  type ListCertificatesRequest,
  type RevokeCertificatesRequest,
  type SignGrantCsrRequest,
} from '@mosaic/contracts/v1/ca_pb';
import {
  CaCertificateState,
  type IssuedCertificateSchema,
  RevocationReason,
} from '@mosaic/contracts/v1/common_pb';
import { decodeCursor, encodeCursor, MosaicError, requireUuid } from '@mosaic/platform';
import {
  type CaAuthority,
  defaultMosaicOids,
  type IssuedCertificateData,
  issueGrantCertificate,
  issueServerCertificate,
  normalizeSerialHex,
} from '../domain/index.js';
import type { AuthorityStore } from '../store/authority-store.js';
import type { CertificateRow, CertificateStore } from '../store/certificate-store.js';
import type { CrlPublisher } from '../store/crl-publisher.js';

export interface CaApiDeps {
  authority: CaAuthority;
  authorities: AuthorityStore;
  certificates: CertificateStore;
  crl: CrlPublisher;
  /** Written into every certificate as its CRL distribution point. */
  crlDistributionUrl: string;
  clientCertLifetimeMs: number;
  serverCertLifetimeMs: number;
}

const minRsaBits = 2048;
const bundleRefreshHintSeconds = 3600n;

/** The CA's API: thin handlers over the issuance pipeline, the registry and the CRL publisher. */
export class CaApi implements ServiceImpl<typeof CaService> {
  constructor(private readonly deps: CaApiDeps) {}

  async getRoot() {
    const { authority } = this.deps;
    return {
      certificatePem: authority.certificatePem,
      sha256Fingerprint: authority.fingerprint,
      notBefore: timestampFromDate(authority.notBefore),
      notAfter: timestampFromDate(authority.notAfter),
    };
  }

  async getBundle(request: GetBundleRequest) {
    const bundle = await this.deps.authorities.bundle();
    if (request.ifNewerThan >= bundle.sequence && request.ifNewerThan > 0) return { notModified: true };
    return {
      bundle: {
        sequence: BigInt(bundle.sequence),
        roots: bundle.roots.map((root) => ({
          certificatePem: root.certificatePem,
          sha256Fingerprint: root.fingerprint,
          notAfter: timestampFromDate(root.notAfter),
          state: root.state === 'next' ? CaCertificateState.NEXT : CaCertificateState.ACTIVE,
        })),
        refreshHint: { seconds: bundleRefreshHintSeconds },
        publishedAt: timestampFromDate(new Date()),
      },
    };
  }

  async issueServerCertificate(request: IssueServerCertificateRequest) {
    const names = [...request.dnsNames, ...request.ipAddresses];
    if (names.length === 0) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: 'a server certificate needs at least one DNS name or IP address.',
        remedy: 'Pass the names clients connect to in dns_names / ip_addresses.',
      });
    }
    const issued = issueServerCertificate(this.deps.authority, {
      csrPem: request.csrPem,
      commonName: names[0]!,
      dnsNames: request.dnsNames,
      ipAddresses: request.ipAddresses,
      lifetimeMs: lifetimeOr(request.lifetime, this.deps.serverCertLifetimeMs),
      crlDistributionUrl: this.deps.crlDistributionUrl,
    });
    await this.deps.certificates.insert(issued, { authorityId: this.deps.authority.id, kind: 'server' });
    return { certificate: issuedToProto(issued) };
  }

  async signGrantCsr(request: SignGrantCsrRequest) {
    const issued = issueGrantCertificate(
      this.deps.authority,
      {
        grantId: request.grantId,
        subjectUserId: request.subjectUserId,
        requestingServer: request.requestingServer,
        csrPem: request.csrPem,
        lifetimeMs: lifetimeOr(request.lifetime, this.deps.clientCertLifetimeMs),
        crlDistributionUrl: this.deps.crlDistributionUrl,
      },
      { oids: defaultMosaicOids, minRsaBits },
    );
    await this.deps.certificates.insert(issued, {
      authorityId: this.deps.authority.id,
      kind: 'client',
      grantId: request.grantId.toLowerCase(),
      subjectUserId: request.subjectUserId.toLowerCase(),
    });
    return { certificate: issuedToProto(issued) };
  }

  async revokeCertificates(request: RevokeCertificatesRequest) {
    const grantId = request.grantId ? requireUuid(request.grantId, 'grant_id') : null;
    const serials = request.serialNumbers.map((serial) => normalizeSerialHex(serial) ?? serial.toLowerCase());
    if (!grantId && serials.length === 0) {
      throw new MosaicError({
        kind: 'invalid_argument',
        message: 'nothing to revoke: neither serial_numbers nor grant_id was given.',
        remedy: 'Name the certificates by serial, or all of a grant by grant_id.',
      });
    }
    const reasonCode = crlReasonOf(request.reason);
    const known = await this.deps.certificates.existingSerials(serials);
    const revoked = await this.deps.certificates.revoke({ serials: [...known], grantId, reasonCode });
    const crl = await this.deps.crl.rebuild();
    return {
      revokedSerialNumbers: revoked,
      unknownSerialNumbers: serials.filter((serial) => !known.has(serial)),
      crlNumber: crl.crlNumber,
    };
  }

  async getCrl(request: GetCrlRequest) {
    const crl = await this.deps.crl.current();
    if (request.ifNewerThan > 0n && request.ifNewerThan >= crl.crlNumber) return { notModified: true };
    return {
      crlPem: crl.pem,
      crlNumber: crl.crlNumber,
      thisUpdate: timestampFromDate(crl.thisUpdate),
      nextUpdate: timestampFromDate(crl.nextUpdate),
      revokedCount: crl.revokedCount,
    };
  }

  async listCertificates(request: ListCertificatesRequest) {
    const limit = Math.min(request.pageSize || 100, 1000);
    const cursor = request.pageToken ? decodeCursor(request.pageToken, ['t', 's']) : undefined;
    const kind =
      request.kind === CertificateKind.CLIENT
        ? 'client'
        : request.kind === CertificateKind.SERVER
          ? 'server'
          : undefined;
    const rows = await this.deps.certificates.list({
      ...(request.grantId ? { grantId: requireUuid(request.grantId, 'grant_id') } : {}),
      ...(kind ? { kind } : {}),
      limit: limit + 1,
      ...(cursor ? { after: { createdAt: new Date(cursor.t!), serial: cursor.s! } } : {}),
    });
    const now = Date.now();
    const page = rows.slice(0, limit);
    const records = page
      .map((row) => recordToProto(row, now))
      .filter(
        (record) => request.status === CertificateStatus.UNSPECIFIED || record.status === request.status,
      );
    const last = page.at(-1);
    return {
      certificates: records,
      nextPageToken:
        rows.length > limit && last
          ? encodeCursor({ t: last.createdAt.toISOString(), s: last.serialHex })
          : '',
    };
  }
}

/** A requested lifetime, never longer than the configured one: callers can shorten, not extend. */
function lifetimeOr(lifetime: Duration | undefined, configuredMs: number): number {
  return lifetime ? Math.min(durationMs(lifetime), configuredMs) : configuredMs;
}

/** The contract's revocation reasons, as RFC 5280 CRLReason codes; anything else is refused up front. */
const crlReasons: Partial<Record<RevocationReason, number>> = {
  [RevocationReason.UNSPECIFIED]: 0,
  [RevocationReason.KEY_COMPROMISE]: 1,
  [RevocationReason.CA_COMPROMISE]: 2,
  [RevocationReason.AFFILIATION_CHANGED]: 3,
  [RevocationReason.SUPERSEDED]: 4,
  [RevocationReason.CESSATION_OF_OPERATION]: 5,
  [RevocationReason.PRIVILEGE_WITHDRAWN]: 9,
};

function crlReasonOf(reason: RevocationReason): number {
  const code = crlReasons[reason];
  if (code === undefined) {
    throw new MosaicError({
      kind: 'invalid_argument',
      message: `revocation reason ${reason} is not one this CA writes into its CRL.`,
      remedy: 'Use a RevocationReason value of the contract (e.g. PRIVILEGE_WITHDRAWN).',
    });
  }
  return code;
}

export function issuedToProto(
  issued: IssuedCertificateData,
): MessageInitShape<typeof IssuedCertificateSchema> {
  return {
    certificatePem: issued.certificatePem,
    caChainPem: issued.caChainPem,
    serialNumber: issued.serialHex,
    sha256Fingerprint: issued.fingerprint,
    notBefore: timestampFromDate(issued.notBefore),
    notAfter: timestampFromDate(issued.notAfter),
  };
}

function recordToProto(
  row: CertificateRow,
  now: number,
): MessageInitShape<typeof CertificateRecordSchema> & {
  status: CertificateStatus;
} {
  const status = row.revokedAt
    ? CertificateStatus.REVOKED
    : row.notAfter.getTime() <= now
      ? CertificateStatus.EXPIRED
      : CertificateStatus.VALID;
  return {
    serialNumber: row.serialHex,
    kind: row.kind === 'client' ? CertificateKind.CLIENT : CertificateKind.SERVER,
    status,
    subject: row.subject,
    sha256Fingerprint: row.fingerprint,
    grantId: row.grantId ?? '',
    subjectUserId: row.subjectUserId ?? '',
    notBefore: timestampFromDate(row.notBefore),
    notAfter: timestampFromDate(row.notAfter),
    issuedAt: timestampFromDate(row.createdAt),
    ...(row.revokedAt ? { revokedAt: timestampFromDate(row.revokedAt) } : {}),
    revocationReason: (row.revokeReason ?? 0) as RevocationReason,
    issuerBackend: 'built-in',
    certificatePem: row.certificatePem,
  };
}
