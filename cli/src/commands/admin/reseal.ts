import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, loadInstanceSecret } from '@mosaic/platform';
import { resealInstance } from '@mosaic/server';
import { Flags, ux } from '@oclif/core';
import { exitCodes, MosaicCommand } from '../../base-command.js';
import { renderTable } from '../../render/table.js';
import { runningServices } from '../../running-services.js';

export default class AdminReseal extends MosaicCommand<typeof AdminReseal> {
  static override summary =
    'Re-seal every private key at rest under a new master secret (rotate MOSAIC_MASTER_KEY).';
  static override description =
    `Run it on the gateway host with the services stopped. The current secret comes from MOSAIC_MASTER_KEY or the data dir; the new one from --new-key-file (made with --generate). Every CA key and peer client key is unsealed with the current secret and sealed with the new one, each service in one transaction: a failure changes nothing, and a re-run skips what is already re-sealed.
Admin tokens are signed with a key from the same secret: mint new ones afterwards (the local tier re-mints its own at start).
When the current secret is the data dir's key file, the new secret replaces it (the old file is kept beside it); otherwise set MOSAIC_MASTER_KEY to the new value for the ca and gateway services before starting them again.`;
  static override examples = [
    '<%= config.bin %> admin reseal --generate --new-key-file ./new-master.key --yes',
    'MOSAIC_MASTER_KEY=<current> <%= config.bin %> admin reseal --new-key-file ./new-master.key --yes',
  ];
  static override flags = {
    'new-key-file': Flags.string({
      description: 'File holding the new secret (32 bytes, base64url).',
      required: true,
    }),
    generate: Flags.boolean({
      description: 'Generate the new secret and write it to --new-key-file (must not exist).',
    }),
    yes: Flags.boolean({ description: 'Do it without asking (required without a terminal).' }),
    service: Flags.string({
      description:
        'Only the keys of this service, when the ca and the gateway have master secrets of their own (as in docker-compose.yml).',
      options: ['all', 'ca', 'gateway'],
      default: 'all',
    }),
  };

  async run() {
    const config = this.config_();
    const newFile = path.resolve(this.flags['new-key-file']);
    if (!this.flags.yes) {
      this.error(
        're-sealing rewrites every stored private key; confirm with --yes (with the services stopped).',
        {
          exit: exitCodes.usage,
        },
      );
    }
    // A running service holds the keys it unsealed at start and, on the embedded store, the
    // database itself: re-sealing under it loses the change or leaves keys it cannot open.
    const running = runningServices(config.dataDir);
    if (running.length > 0) {
      this.error(
        `services still run on ${config.dataDir}: ${running.map((s) => `${s.target} (pid ${s.pid})`).join(', ')}. ` +
          `Remedy: stop them (Ctrl-C, or \`kill ${running.map((s) => s.pid).join(' ')}\`), then run reseal again.`,
        { exit: exitCodes.usage },
      );
    }
    if (this.flags.generate) {
      if (existsSync(newFile))
        this.error(`${newFile} exists; --generate writes a new file.`, { exit: exitCodes.usage });
      await writeFile(newFile, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    }
    const keyFile = path.join(config.dataDir, 'secrets', 'master.key');
    const fromEnv = Boolean(process.env.MOSAIC_MASTER_KEY);
    const current = await loadInstanceSecret({
      purpose: 'current master secret',
      envName: 'MOSAIC_MASTER_KEY',
      file: keyFile,
      createIfMissing: false,
    });
    const text = await readFile(newFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(
        error.code === 'ENOENT'
          ? `the new key file ${newFile} does not exist.`
          : `the new key file ${newFile} cannot be read (${error.code ?? error.message}).`,
        'Write it with --generate (a new random secret), or give the path of the file that holds the new secret.',
      );
    });
    const next = decodeSecret(text.trim(), newFile);
    if (next.equals(current)) this.error('the new secret is the current one.', { exit: exitCodes.usage });
    const spin = !this.jsonEnabled() && process.stderr.isTTY;
    if (spin) ux.action.start('Re-sealing private keys');
    const only = this.flags.service === 'all' ? {} : { only: this.flags.service as 'ca' | 'gateway' };
    const tables = await resealInstance({ config, from: current, to: next, ...only }).finally(() => {
      if (spin) ux.action.stop();
    });
    let installed: string | null = null;
    if (!fromEnv) {
      // Keep the old secret beside it, then swap the new one in with one rename: there is never a
      // moment without a master.key.
      await copyFile(keyFile, `${keyFile}.old-${new Date().toISOString().replaceAll(':', '-')}`);
      const temporary = `${keyFile}.new-${process.pid}`;
      await writeFile(temporary, `${next.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
      await rename(temporary, keyFile);
      installed = keyFile;
    }
    if (!this.jsonEnabled()) {
      this.log(
        renderTable(
          ['TABLE', 'RE-SEALED', 'ALREADY NEW'],
          tables.map((t) => [t.table, String(t.resealed), String(t.skipped)]),
        ),
      );
      this.log(
        installed
          ? `\nThe new secret is installed at ${installed}; the old one is kept beside it. Start the services again.`
          : '\nNow set MOSAIC_MASTER_KEY to the new secret for the ca and gateway services, then start them again.',
      );
    }
    return { version: 1 as const, tables, installed };
  }
}

function decodeSecret(value: string, where: string): Buffer {
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== 32) {
    throw new ConfigError(
      `${where} does not hold 32 bytes of base64url (it decodes to ${bytes.length} bytes).`,
      "Write one with --generate, or `openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`.",
    );
  }
  return bytes;
}
