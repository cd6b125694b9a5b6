import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type Client, Code, ConnectError } from '@connectrpc/connect';
import type { CaService } from '@mosaic/contracts/v1/ca_pb';
import type { GrantsService } from '@mosaic/contracts/v1/grants_pb';
import {
  errorForLog,
  isMosaicError,
  type Logger,
  MosaicError,
  RateLimitedError,
  type RateLimiter,
} from '@mosaic/platform';

/** Refusals the enrolling side can act on; anything else is this gateway's own trouble. */
const callerActionable = new Set<Code>([
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.PermissionDenied,
  Code.NotFound,
  Code.AlreadyExists,
  Code.ResourceExhausted,
]);

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
      logger: Logger;
    },
  ) {}

  /**
   * Enrolls; the answer is for an unauthenticated caller, so only the refusals it can act on
   * pass through, and any internal failure becomes one generic message (the cause goes to the log).
   */
  async enroll(input: EnrollInput, sourceAddress: string): Promise<EnrollResult> {
    try {
      return await this.enrollUnguarded(input, sourceAddress);
    } catch (error) {
      if (isMosaicError(error)) throw error;
      const code = ConnectError.from(error).code;
      if (callerActionable.has(code)) throw error;
      this.deps.logger.error(
        { err: errorForLog(error), sourceAddress },
        'enrollment failed inside this gateway',
      );
      throw new MosaicError({
        kind: 'unavailable',
        message: 'enrollment is temporarily unavailable on this gateway; the enrollment URL is still valid.',
        remedy:
          "Try again in a minute; if it persists, ask the serving gateway's admin to check `mosaic gateway doctor`.",
      });
    }
  }

  private async enrollUnguarded(input: EnrollInput, sourceAddress: string): Promise<EnrollResult> {
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
    // Everything that can fail is asked before the token is redeemed: after it, the token is spent.
    const { bundle } = await this.deps.ca.getBundle({});
    const redeemed = await this.deps.grants.redeemEnrollmentToken({
      grantId: input.grantId,
      token: input.token,
      csrPem: input.csrPem,
      requestingHostname: input.requestingHostname,
    });
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
