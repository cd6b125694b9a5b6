import { expect } from 'chai';
import { redactUrl, urlTarget } from '../src/log/redact-url.js';

describe('redactUrl and urlTarget', () => {
  describe('redactUrl', () => {
    const cases: Array<{ name: string; input: string; expected: string; secrets: string[] }> = [
      {
        name: 'postgres: the password goes, user, host, port and database stay',
        input: 'postgres://app:hunter2-pg@db.internal:5433/mosaic',
        expected: 'postgres://app:***@db.internal:5433/mosaic',
        secrets: ['hunter2-pg'],
      },
      {
        name: 'postgresql: scheme with characters that need no escaping',
        input: 'postgresql://app:pa$$w0rd@db/mosaic',
        expected: 'postgresql://app:***@db/mosaic',
        secrets: ['pa$$w0rd'],
      },
      {
        name: 'postgres: an IPv6 host keeps its brackets',
        input: 'postgres://app:v6-secret@[::1]:5432/mosaic',
        expected: 'postgres://app:***@[::1]:5432/mosaic',
        secrets: ['v6-secret'],
      },
      {
        name: 'postgres: sslpassword and password query parameters go, the others stay',
        input:
          'postgres://app@db:5432/mosaic?sslmode=require&sslpassword=ssl-secret&password=q-secret&application_name=ca',
        expected:
          'postgres://app@db:5432/mosaic?sslmode=require&sslpassword=***&password=***&application_name=ca',
        secrets: ['ssl-secret', 'q-secret'],
      },
      {
        name: 'redis: a password without a user (percent-encoded) goes, the db number stays',
        input: 'redis://:p%40ss-redis@cache:6380/2',
        expected: 'redis://:***@cache:6380/2',
        secrets: ['p%40ss-redis', 'p@ss-redis'],
      },
      {
        name: 'rediss: password, token and apikey query parameters go',
        input: 'rediss://default:tls-secret@cache:6380/0?token=tok-secret&apikey=key-secret&family=6',
        expected: 'rediss://default:***@cache:6380/0?token=***&apikey=***&family=6',
        secrets: ['tls-secret', 'tok-secret', 'key-secret'],
      },
      {
        name: 'a URL without a secret is returned unchanged',
        input: 'postgres://postgres@127.0.0.1:5432/mosaic',
        expected: 'postgres://postgres@127.0.0.1:5432/mosaic',
        secrets: [],
      },
      {
        name: 'unparseable input is replaced whole',
        input: 'postgres://app:bracket-secret@[db:5432/mosaic',
        expected: '<unparseable connection string>',
        secrets: ['bracket-secret'],
      },
      {
        // `user:password@host` without `scheme://` parses as the scheme "app:" with an opaque path, so
        // nothing is recognised as a password; it must be replaced whole like any other non-URL.
        name: 'a connection string without scheme:// is replaced whole',
        input: 'app:schemeless-secret@db:5432/mosaic',
        expected: '<unparseable connection string>',
        secrets: ['schemeless-secret'],
      },
      {
        name: 'a scheme typo (no colon) is replaced whole',
        input: 'postgres//app:typo-secret@db/mosaic',
        expected: '<unparseable connection string>',
        secrets: ['typo-secret'],
      },
      {
        name: 'the empty string is replaced whole',
        input: '',
        expected: '<unparseable connection string>',
        secrets: [],
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        const redacted = redactUrl(tc.input);
        expect(redacted).to.equal(tc.expected);
        for (const secret of tc.secrets) expect(redacted).to.not.include(secret);
      });
    }
  });

  describe('urlTarget', () => {
    const cases: Array<{ name: string; input: string; defaultPort: number; expected: string }> = [
      {
        name: 'host and explicit port',
        input: 'postgres://app:pw@db:5433/x',
        defaultPort: 5432,
        expected: 'db:5433',
      },
      {
        name: 'the default port when none is given',
        input: 'redis://cache',
        defaultPort: 6379,
        expected: 'cache:6379',
      },
      {
        name: 'IPv6 host in brackets',
        input: 'postgres://app@[::1]/x',
        defaultPort: 5432,
        expected: '[::1]:5432',
      },
      {
        name: 'no host (a Unix socket URL) reads as loopback',
        input: 'postgres:///mosaic?host=/run/postgresql',
        defaultPort: 5432,
        expected: '127.0.0.1:5432',
      },
      {
        name: 'unparseable input',
        input: 'redis://[cache:6379',
        defaultPort: 6379,
        expected: '<unparseable address>',
      },
      {
        // "db:5432" parses as the scheme "db:" without a host; it must not read as the loopback address.
        name: 'host:port without scheme:// is not read as a hostless URL',
        input: 'db:5432',
        defaultPort: 5432,
        expected: '<unparseable address>',
      },
    ];
    for (const tc of cases) {
      it(tc.name, () => {
        expect(urlTarget(tc.input, tc.defaultPort)).to.equal(tc.expected);
      });
    }

    it('never includes the password', () => {
      expect(urlTarget('rediss://default:target-secret@cache:6380', 6379)).to.equal('cache:6380');
    });
  });
});
