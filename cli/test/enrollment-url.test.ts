import { expect } from 'chai';
import {
  type EnrollmentUrlError,
  enrollmentAuthority,
  isEnrollmentUrlError,
  parseEnrollmentUrl,
  redactEnrollmentTokens,
} from '../src/enrollment-url.js';

const grantId = '6f1c2b9e-1c1d-4a51-9d8e-2f3a4b5c6d7e';
const token = 'Qk9PTS1zZWNyZXQtdG9rZW4tdmFsdWUtNDMtY2hhcnM'; // 43 base64url characters
const fingerprint = '0123456789abcdef'.repeat(4);
const url = (parts: { host?: string; path?: string; query?: string } = {}) =>
  `mosaic-enroll://${parts.host ?? 'work.example.com:8444'}/${parts.path ?? grantId}?${
    parts.query ?? `token=${token}&ca=sha256:${fingerprint}`
  }`;

describe('enrollment URL parsing (cli/src/enrollment-url.ts)', () => {
  it('parses host, port, grant id and CA fingerprint, and never returns the token', () => {
    expect(token).to.have.length(43);
    const parts = parseEnrollmentUrl(url());
    expect(parts).to.deep.equal({
      host: 'work.example.com',
      port: 8444,
      grantId,
      caFingerprint: fingerprint,
    });
    expect(JSON.stringify(parts)).not.to.include(token);
    expect(enrollmentAuthority(parts)).to.equal('work.example.com:8444');
  });

  it('accepts parameters in any order, surrounding blanks, upper-case hosts, IPv4 and IPv6 hosts', () => {
    expect(parseEnrollmentUrl(url({ query: `ca=sha256:${fingerprint}&token=${token}` })).grantId).to.equal(
      grantId,
    );
    expect(parseEnrollmentUrl(`  ${url()}\n`).host).to.equal('work.example.com');
    expect(parseEnrollmentUrl(url({ host: 'Work.Example.COM:8444' })).host).to.equal('work.example.com');
    expect(parseEnrollmentUrl(url({ host: '127.0.0.2:8444' })).host).to.equal('127.0.0.2');
    const v6 = parseEnrollmentUrl(url({ host: '[::1]:9444' }));
    expect(v6).to.include({ host: '::1', port: 9444 });
    expect(enrollmentAuthority(v6)).to.equal('[::1]:9444');
  });

  const refused: Array<{ name: string; input: string; says: RegExp }> = [
    {
      name: 'an https URL',
      input: `https://work.example.com/${grantId}?token=${token}`,
      says: /mosaic-enroll:\/\//,
    },
    { name: 'a bare token', input: token, says: /mosaic-enroll:\/\// },
    { name: 'no port', input: url({ host: 'work.example.com' }), says: /no port/ },
    { name: 'port 0', input: url({ host: 'work.example.com:0' }), says: /no port/ },
    { name: 'a user name', input: url({ host: `admin:${token}@work.example.com:8444` }), says: /user name/ },
    { name: 'a path that is not a UUID', input: url({ path: 'grant-1' }), says: /grant id/ },
    { name: 'an upper-case grant id', input: url({ path: grantId.toUpperCase() }), says: /grant id/ },
    { name: 'a nested path', input: url({ path: `enroll/${grantId}` }), says: /grant id/ },
    {
      name: 'no token',
      input: url({ query: `ca=sha256:${fingerprint}` }),
      says: /token is missing or malformed/,
    },
    {
      name: 'a truncated token',
      input: url({ query: `token=${token.slice(0, 40)}&ca=sha256:${fingerprint}` }),
      says: /43 base64url/,
    },
    {
      name: 'a token with padding',
      input: url({ query: `token=${token}=&ca=sha256:${fingerprint}` }),
      says: /43 base64url/,
    },
    { name: 'no ca', input: url({ query: `token=${token}` }), says: /ca parameter/ },
    {
      name: 'a ca without the sha256: prefix',
      input: url({ query: `token=${token}&ca=${fingerprint}` }),
      says: /ca parameter/,
    },
    {
      name: 'an upper-case fingerprint',
      input: url({ query: `token=${token}&ca=sha256:${fingerprint.toUpperCase()}` }),
      says: /ca parameter/,
    },
    {
      name: 'a short fingerprint',
      input: url({ query: `token=${token}&ca=sha256:${fingerprint.slice(2)}` }),
      says: /ca parameter/,
    },
    {
      name: 'two tokens',
      input: url({ query: `token=${token}&token=${token}&ca=sha256:${fingerprint}` }),
      says: /exactly one token/,
    },
    {
      name: 'an unknown parameter',
      input: url({ query: `token=${token}&ca=sha256:${fingerprint}&next=x` }),
      says: /nothing else/,
    },
    { name: 'a fragment', input: `${url()}#${token}`, says: /fragment/ },
  ];
  for (const tc of refused) {
    it(`refuses ${tc.name}, naming the problem without repeating the URL or the token`, () => {
      let caught: unknown;
      try {
        parseEnrollmentUrl(tc.input);
      } catch (error) {
        caught = error;
      }
      expect(isEnrollmentUrlError(caught), String(caught)).to.equal(true);
      const error = caught as EnrollmentUrlError;
      expect(error.message).to.match(tc.says);
      expect(error.message + error.remedy).not.to.include(token.slice(0, 20));
      expect(error.message + error.remedy).not.to.include('work.example.com');
      expect(error.remedy).to.include('grant create');
    });
  }

  it('redacts every token= value in a text', () => {
    expect(redactEnrollmentTokens(`failed for ${url()} (token=abc) --token=xyz`)).to.equal(
      `failed for mosaic-enroll://work.example.com:8444/${grantId}?token=<redacted>&ca=sha256:${fingerprint} (token=<redacted>) --token=<redacted>`,
    );
  });
});
