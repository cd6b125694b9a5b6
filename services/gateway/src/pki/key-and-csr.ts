import { generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

const generate = promisify(generateKeyPair);

export interface KeyAndCsr {
  privateKey: KeyObject;
  /** PKCS#8 PEM of the private key: seal it before storing, never log it. */
  privateKeyPem: string;
  csrPem: string;
}

/**
 * A fresh RSA key (node:crypto) and a PKCS#10 request for it, signed with node:crypto (forge only
 * encodes the structure). The CA takes nothing from the request but the key.
 */
export async function createKeyAndCsr(options: { commonName: string; bits?: number }): Promise<KeyAndCsr> {
  const { privateKey, publicKey } = await generate('rsa', { modulusLength: options.bits ?? 2048 });
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  csr.setSubject([{ name: 'commonName', value: options.commonName }]);
  // forge needs the algorithm set before it encodes CertificationRequestInfo.
  csr.signatureOid = forge.pki.oids.sha256WithRSAEncryption!;
  const infoDer = Buffer.from(
    forge.asn1
      .toDer(
        (
          forge.pki as unknown as {
            getCertificationRequestInfo(request: forge.pki.CertificateSigningRequest): forge.asn1.Asn1;
          }
        ).getCertificationRequestInfo(csr),
      )
      .getBytes(),
    'binary',
  );
  const signature = sign('sha256', infoDer, privateKey);
  const request = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
    forge.asn1.fromDer(infoDer.toString('binary')),
    forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SEQUENCE, true, [
      forge.asn1.create(
        forge.asn1.Class.UNIVERSAL,
        forge.asn1.Type.OID,
        false,
        forge.asn1.oidToDer(forge.pki.oids.sha256WithRSAEncryption!).getBytes(),
      ),
      forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.NULL, false, ''),
    ]),
    forge.asn1.create(
      forge.asn1.Class.UNIVERSAL,
      forge.asn1.Type.BITSTRING,
      false,
      `\0${signature.toString('binary')}`,
    ),
  ]);
  const der = Buffer.from(forge.asn1.toDer(request).getBytes(), 'binary');
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    privateKey,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`,
  };
}
