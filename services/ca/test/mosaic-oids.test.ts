import { isConfigError } from '@mosaic/platform';
import { expect } from 'chai';
import {
  assertMosaicOids,
  decodeUuidExtensionValue,
  defaultMosaicOids,
  encodeUuidExtensionValue,
  isIssuanceRequestError,
} from '../src/domain/index.js';

const uuid = '0b6c1f1e-4a6e-4c36-9d0e-5f6b1c2d3e4f';

describe('ca domain: Mosaic OID extension values', () => {
  it('the default OIDs are the development arc of SPEC §3', () => {
    expect(defaultMosaicOids).to.deep.equal({
      grantId: '1.3.6.1.4.1.99999.1',
      subjectUserId: '1.3.6.1.4.1.99999.2',
    });
    assertMosaicOids(defaultMosaicOids);
  });

  it('encodes a UUID as exactly 0C 24 and its 36 ASCII bytes', () => {
    const der = encodeUuidExtensionValue(uuid);
    expect(der.length).to.equal(38);
    expect(der.subarray(0, 2).toString('hex')).to.equal('0c24');
    expect(der.subarray(2).toString('ascii')).to.equal(uuid);
  });

  it('writes upper-case input in the canonical lower case', () => {
    expect(encodeUuidExtensionValue(uuid.toUpperCase()).subarray(2).toString('ascii')).to.equal(uuid);
  });

  for (const bad of ['', 'not-a-uuid', `${uuid}0`, uuid.replaceAll('-', ''), `{${uuid}}`, ` ${uuid}`]) {
    it(`refuses to encode ${JSON.stringify(bad)}`, () => {
      let thrown: unknown;
      try {
        encodeUuidExtensionValue(bad);
      } catch (error) {
        thrown = error;
      }
      expect(isIssuanceRequestError(thrown), String(thrown)).to.equal(true);
    });
  }

  it('decodes exactly the shape it encodes', () => {
    expect(decodeUuidExtensionValue(encodeUuidExtensionValue(uuid))).to.equal(uuid);
  });

  const ascii = Buffer.from(uuid, 'ascii');
  const cases: { name: string; der: Buffer }[] = [
    { name: 'empty', der: Buffer.alloc(0) },
    { name: 'PrintableString tag (0x13)', der: Buffer.concat([Buffer.from([0x13, 0x24]), ascii]) },
    { name: 'IA5String tag (0x16)', der: Buffer.concat([Buffer.from([0x16, 0x24]), ascii]) },
    { name: 'wrong length byte', der: Buffer.concat([Buffer.from([0x0c, 0x23]), ascii]) },
    { name: 'trailing byte', der: Buffer.concat([Buffer.from([0x0c, 0x24]), ascii, Buffer.from([0])]) },
    { name: 'OCTET STRING wrapping', der: Buffer.concat([Buffer.from([0x04, 0x26, 0x0c, 0x24]), ascii]) },
    {
      name: 'upper-case UUID',
      der: Buffer.concat([Buffer.from([0x0c, 0x24]), Buffer.from(uuid.toUpperCase(), 'ascii')]),
    },
    {
      name: '36 bytes that are not a UUID',
      der: Buffer.concat([Buffer.from([0x0c, 0x24]), Buffer.from('x'.repeat(36), 'ascii')]),
    },
  ];
  for (const tc of cases) {
    it(`decodes ${tc.name} as absent (null)`, () => {
      expect(decodeUuidExtensionValue(tc.der)).to.equal(null);
    });
  }

  it('refuses OID configuration that is not two distinct dotted OIDs', () => {
    for (const oids of [
      { grantId: '1.3.6.1.4.1.99999.1', subjectUserId: '1.3.6.1.4.1.99999.1' },
      { grantId: 'mosaic.grant', subjectUserId: '1.3.6.1.4.1.99999.2' },
      { grantId: '1.3.6.1.4.1.99999.01', subjectUserId: '1.3.6.1.4.1.99999.2' },
    ]) {
      expect(() => assertMosaicOids(oids))
        .to.throw()
        .that.satisfies(isConfigError);
    }
  });
});
