import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { Health, HealthCheckResponse_ServingStatus } from '@mosaic/contracts/health/v1/health_pb';
import { expect } from 'chai';
import { HealthService } from '../src/health/health-service.js';
import { ServiceHealth } from '../src/health/readiness.js';
import { authentication } from '../src/rpc/interceptors.js';
import {
  assertPolicyCovers,
  type CallerRule,
  type MethodPolicyTable,
  methodKey,
  policyForService,
} from '../src/rpc/method-policy.js';

const publicRule: CallerRule = { kind: 'public' };
const checkMethod = Health.method.check;
const watchMethod = Health.method.watch;
const allKeys = Health.methods.map((method) => methodKey(Health, method));

/** The table without the given methods. */
function without(...methods: Array<{ name: string }>): Map<string, CallerRule> {
  const table = policyForService(Health, publicRule);
  for (const method of methods) table.delete(methodKey(Health, method));
  return table;
}

describe('method access policy', () => {
  describe('policyForService', () => {
    it('gives every method of the descriptor the rule, keyed service/method', () => {
      const table = policyForService(Health, publicRule);
      expect([...table.keys()]).to.deep.equal(allKeys);
      expect(allKeys).to.include('grpc.health.v1.Health/Check');
      for (const rule of table.values()) expect(rule).to.deep.equal(publicRule);
    });

    it('applies an override to the method it names only', () => {
      const admin: CallerRule = { kind: 'admin' };
      const table = policyForService(Health, publicRule, { [watchMethod.name]: admin });
      expect(table.get(methodKey(Health, watchMethod))).to.deep.equal(admin);
      expect(table.get(methodKey(Health, checkMethod))).to.deep.equal(publicRule);
    });

    it('refuses overrides naming methods the service lacks, naming each', () => {
      expect(() =>
        policyForService(Health, publicRule, {
          Chek: { kind: 'admin' },
          [checkMethod.name]: { kind: 'admin' },
          check: { kind: 'admin' },
        }),
      ).to.throw('policy for grpc.health.v1.Health names unknown methods: Chek, check');
    });
  });

  describe('assertPolicyCovers', () => {
    const cases: Array<{ name: string; table: () => MethodPolicyTable; missing: string[] }> = [
      { name: 'an empty table names every method', table: () => new Map(), missing: allKeys },
      {
        name: 'a table without Check names Check only',
        table: () => without(checkMethod),
        missing: [methodKey(Health, checkMethod)],
      },
      {
        name: 'a table of another service does not count',
        table: () => new Map([[`other.v1.Health/${checkMethod.name}`, publicRule]]),
        missing: allKeys,
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        expect(() => assertPolicyCovers([Health], tc.table())).to.throw(
          `no access policy for: ${tc.missing.join(', ')}`,
        );
      });
    }

    it('passes a table covering every method', () => {
      expect(() => assertPolicyCovers([Health], policyForService(Health, publicRule))).to.not.throw();
    });
  });

  describe('the authentication interceptor (in-memory router transport)', () => {
    const services = [new ServiceHealth('mosaic.test.Ready', [])];

    function healthClient(policy: MethodPolicyTable) {
      return createClient(
        Health,
        createRouterTransport((router) => router.service(Health, new HealthService(services)), {
          router: { interceptors: [authentication({ policy })] },
        }),
      );
    }

    const cases: Array<{ name: string; policy: () => MethodPolicyTable; refused: boolean }> = [
      {
        name: 'a method with a public rule is served',
        policy: () => policyForService(Health, publicRule),
        refused: false,
      },
      {
        name: 'a method absent from the table is refused',
        policy: () => without(checkMethod),
        refused: true,
      },
      { name: 'an empty table refuses everything', policy: () => new Map(), refused: true },
      {
        name: 'a table that lacks only another method still serves this one',
        policy: () => without(watchMethod),
        refused: false,
      },
    ];
    for (const tc of cases) {
      it(tc.name, async () => {
        const outcome = await healthClient(tc.policy())
          .check({})
          .then(
            (response) => ({ status: response.status }),
            (reason: unknown) => ({ error: ConnectError.from(reason) }),
          );
        if (!tc.refused) {
          expect(outcome).to.deep.equal({ status: HealthCheckResponse_ServingStatus.SERVING });
          return;
        }
        if (!('error' in outcome)) expect.fail('the call was served');
        expect(Code[outcome.error.code]).to.equal(Code[Code.PermissionDenied]);
        expect(outcome.error.rawMessage).to.equal(
          `${methodKey(Health, checkMethod)} has no access policy and is refused`,
        );
      });
    }
  });
});
