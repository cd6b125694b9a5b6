/** PEM armour (RFC 7468): base64 in 64-character lines between BEGIN/END labels. */
export function toPem(label: string, der: Buffer): string {
  const body = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${body.join('\n')}\n-----END ${label}-----\n`;
}

const block = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/** The DER of every PEM block whose label is one of `labels`, in order; text around blocks is ignored. */
export function pemBlocks(text: string, labels: readonly string[]): Buffer[] {
  const found: Buffer[] = [];
  for (const match of text.matchAll(block)) {
    const [, label, body] = match;
    if (label === undefined || body === undefined || !labels.includes(label)) continue;
    const compact = body.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new Error(`the ${label} block is not valid base64`);
    }
    found.push(Buffer.from(compact, 'base64'));
  }
  return found;
}

/** Exactly one block with one of `labels`, or an error saying what was found instead. */
export function singlePemBlock(text: string, labels: readonly string[]): Buffer {
  const blocks = pemBlocks(text, labels);
  if (blocks.length === 0) throw new Error(`no PEM block labelled ${labels.join(' or ')} was found`);
  if (blocks.length > 1)
    throw new Error(`${blocks.length} PEM blocks labelled ${labels[0]} were found; send one`);
  return blocks[0]!;
}
