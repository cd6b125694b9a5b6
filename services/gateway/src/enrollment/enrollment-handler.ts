import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Client } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import { MosaicError, RateLimitedError, type RateLimiter } from '@mosaic/platform';

export interface EnrollInput {
  grantId: string;
  token: string;
  csrPem: string;
  requestingHostname: string;
}

export interface EnrollResult {
  version: 1;
  grantId: string;
  /** The user on this gateway the grant acts as. */
  subjectUserId: string;
  certificatePem: string;
  caChainPem: string[];
  serialNumber: string;
  sha256Fingerprint: string;
  notAfter: string;
  trustBundle: { sequence: number; roots: Array<{ certificatePem: string; sha256Fingerprint: string }> };
  federationEndpoint: string;
}

/** Per source address: enough for retries after a typo, too few to guess tokens. */
const enrollmentsPerMinute = 10;
const maxCsrBytes = 64 * 1024;

/** The serving side of enrollment, shared by the REST endpoint and EnrollmentService.Enroll. */
export class EnrollmentHandler {
  constructor(
    private readonly deps: {
      grants: Client<typeof GrantsService>;
      ca: Client<typeof CaService>;
      rateLimiter: RateLimiter;
      federationEndpoint: () => string;
    },
  ) {}

  async enroll(input: EnrollInput, sourceAddress: string): Promise<EnrollResult> {
    const limit = await this.deps.rateLimiter.take(`enroll:${sourceAddress}`, enrollmentsPerMinute, 60_000);
    if (!limit.allowed) {
      throw new RateLimitedError({
        message: `too many enrollment attempts from ${sourceAddress}.`,
        retryAfterSeconds: Math.max(1, Math.ceil(limit.retryAfterMs / 1000)),
      });
    }
    for (const field of ['grantId', 'token', 'csrPem'] as const) {
      if (!input[field]) {
        throw new MosaicError({
          kind: 'invalid_argument',
          message: `${field} is required.`,
          remedy: 'Enroll with `mosaic federation peer add <enrollment-url>`, which sends every field.',
        });
      }
    }
    if (input.csrPem.length > maxCsrBytes) {
      throw new MosaicError({
        kind: 'invalid_argument',
        reason: 'csr_rejected',
        message: 'the CSR is larger than 64 KiB.',
        remedy: 'Send a PKCS#10 request for one RSA key, PEM-encoded.',
      });
    }
    const redeemed = await this.deps.grants.redeemEnrollmentToken({
      grantId: input.grantId,
      token: input.token,
      csrPem: input.csrPem,
      requestingHostname: input.requestingHostname,
    });
    const { bundle } = await this.deps.ca.getBundle({});
    const certificate = redeemed.certificate!;
    return {
      version: 1,
      grantId: redeemed.grant!.id,
      subjectUserId: redeemed.grant!.subjectUserId,
      certificatePem: certificate.certificatePem,
      caChainPem: certificate.caChainPem,
      serialNumber: certificate.serialNumber,
      sha256Fingerprint: certificate.sha256Fingerprint,
      notAfter: timestampDate(certificate.notAfter!).toISOString(),
      trustBundle: {
        sequence: Number(bundle?.sequence ?? 0),
        roots: (bundle?.roots ?? []).map((root) => ({
          certificatePem: root.certificatePem,
          sha256Fingerprint: root.sha256Fingerprint,
        })),
      },
      federationEndpoint: this.deps.federationEndpoint(),
    };
  }
}
