#!/usr/bin/env node
import { closeSync, constants, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { z } from 'zod';
import { FernetKey } from '../crypto/fernetKey.ts';
import { fingerprint } from '../crypto/fingerprint.ts';
import { KeyFileError, readKeyFile, writeKeyFile } from '../crypto/keyFile.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { keyLink } from '../protocol/keyLink.ts';
import { parseSeedKey, SEED_KEY_MAX_BYTES } from '../crypto/seedKey.ts';
import { SeedKeyError } from '../crypto/seedKeyError.ts';
import { runCommand } from './runMain.ts';

const keygenSchema = z.strictObject({
  fromSeed: z
    .string()
    .min(1)
    .optional()
    .describe(
      "import the key of the seed's Python chat from its pickled chave.key (read as data: nothing in it is run)",
    ),
  link: z
    .string()
    .refine((text) => URL.canParse(text) && /^https?:$/.test(new URL(text).protocol), {
      message: "must be the web client's address, such as http://127.0.0.1:10102/",
    })
    .optional()
    .describe(
      "also print a link to the web client at this address that carries the key in its #fragment (FILE's key if FILE exists: then nothing is written)",
    ),
});

/** A file that cannot be imported: bad, hostile, missing or unreadable. Exit status 1. */
class ImportError extends Error {}

await runCommand(
  {
    name: 'fernet-chat-keygen',
    usage:
      'fernet-chat-keygen [FILE]\n       fernet-chat-keygen --from-seed chave.key [FILE]\n       fernet-chat-keygen --link http://127.0.0.1:10102/ [FILE]',
    summary:
      'Writes a new Fernet key to FILE (default chat.key) with mode 0600. It never overwrites a file.\n' +
      'Share the file with the people you chat with over a channel you trust; anyone with it can read the chat.\n' +
      "With --from-seed, the key is not new but the one in the seed program's chave.key, so that fernet-chat\n" +
      'and the Python chat can read each other.',
    schema: keygenSchema,
    maxPositionals: 1,
    notes: [
      'Exit status: 0 written; 1 refused (the file exists, or chave.key is not a saved Fernet key); 2 bad usage.',
    ],
  },
  async (config, positionals) => {
    const file = positionals[0] ?? 'chat.key';
    const seed = config.fromSeed;
    if (config.link !== undefined && seed === undefined && existsSync(file))
      return printLink(file, config.link);
    let key: FernetKey;
    try {
      key = seed === undefined ? FernetKey.generate() : FernetKey.fromBytes(importSeedKey(seed));
      const origin = seed === undefined ? 'made' : `imported from ${seed}`;
      writeKeyFile(file, [key], `fernet-chat key, ${origin} ${new Date().toISOString()}; keep it secret`);
    } catch (error) {
      if (error instanceof KeyFileError || error instanceof SeedKeyError || error instanceof ImportError) {
        process.stderr.write(`fernet-chat-keygen: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    if (seed === undefined) {
      process.stdout.write(`wrote a new key to ${file} (mode 0600)\n`);
    } else {
      process.stdout.write(`wrote the key of ${seed} to ${file} (mode 0600)\n`);
      process.stdout.write(
        `${seed} holds the same secret: keep it private (chmod 600 ${seed}) or delete it once nobody needs the Python chat\n`,
      );
    }
    // What the client shows at start: people compare it to check they hold the same key.
    process.stdout.write(`key fingerprint ${fingerprint(key)}\n`);
    if (config.link !== undefined) process.stdout.write(linkLines(key, config.link));
    return 0;
  },
);

/** The link for the key in an existing key file (its first key, the one that encrypts). */
function printLink(file: string, page: string): number {
  let ring: KeyRing;
  try {
    ring = readKeyFile(file);
  } catch (error) {
    if (!(error instanceof KeyFileError)) throw error;
    process.stderr.write(`fernet-chat-keygen: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(`key fingerprint ${fingerprint(ring.primary)}\n${linkLines(ring.primary, page)}`);
  return 0;
}

/**
 * The link, and what it is: the fragment never reaches the hub (browsers do not send it), but
 * whoever has the link can read the chat, as with the file.
 */
function linkLines(key: FernetKey, page: string): string {
  return `web client link (it holds the key: share it as you would the key file):\n${keyLink(page, key.toString())}\n`;
}

/**
 * Reads the seed's pickled Fernet as bytes, at most a little more than the parser accepts (so
 * that a huge file or a device is not read whole), and parses it without unpickling.
 */
function importSeedKey(path: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO given by mistake is refused below instead of blocking the open.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ImportError(`${path} does not exist`);
    throw new ImportError(`cannot read ${path} (${code ?? String(error)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ImportError(`${path} is not a regular file`);
    if (stat.size > SEED_KEY_MAX_BYTES) {
      throw new ImportError(
        `${path} is ${stat.size} bytes, far too large for the seed's chave.key (a pickled Fernet key is about 124 bytes)`,
      );
    }
    const buffer = Buffer.alloc(SEED_KEY_MAX_BYTES + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length === buffer.length) break;
    }
    return parseSeedKey(buffer.subarray(0, length), { source: path });
  } finally {
    closeSync(fd);
  }
}
