#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { FernetKey } from '../crypto/fernetKey.ts';
import { fingerprint } from '../crypto/fingerprint.ts';
import { Identity, identityFingerprint } from '../crypto/identity.ts';
import { IdentityFileError, writeIdentityFile } from '../crypto/identityFile.ts';
import { KeyFileError, readKeyFile, writeKeyFile } from '../crypto/keyFile.ts';
import { admissionKeyOf } from '../crypto/admissionKey.ts';
import type { KeyRing } from '../crypto/keyRing.ts';
import { keyLink } from '../protocol/keyLink.ts';
import { parseSeedKey, SEED_KEY_MAX_BYTES } from '../crypto/seedKey.ts';
import { readSmallFile } from '../config/smallFile.ts';
import { SeedKeyError } from '../crypto/seedKeyError.ts';
import { runCommand } from './runMain.ts';
import { ConfigError } from '../config/configError.ts';

const keygenSchema = z.strictObject({
  fromSeed: z
    .string()
    .min(1)
    .optional()
    .describe(
      "import the key of the seed's Python chat from its pickled chave.key (read as data: nothing in it is run)",
    ),
  identity: z
    .string()
    .min(1)
    .optional()
    .describe(
      'write a new identity (an Ed25519 key of your own, which signs what you send) to this file instead of a chat key',
    ),
  admission: z
    .string()
    .min(1)
    .optional()
    .describe(
      "print the public admission key of each key in this key file, for a hub's --admit file (writes nothing)",
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
      'fernet-chat-keygen [FILE]\n       fernet-chat-keygen --from-seed chave.key [FILE]\n       fernet-chat-keygen --identity FILE\n       fernet-chat-keygen --admission KEYFILE > admit.keys\n       fernet-chat-keygen --link http://127.0.0.1:10102/ [FILE]',
    summary:
      'Writes a new Fernet key to FILE (default chat.key) with mode 0600. It never overwrites a file.\n' +
      'Share the file with the people you chat with over a channel you trust; anyone with it can read the chat.\n' +
      "With --from-seed, the key is not new but the one in the seed program's chave.key, so that fernet-chat\n" +
      'and the Python chat can read each other.\n' +
      'With --identity, a key of your own instead: the client signs what you send with it, so that the others\n' +
      'know a line is yours. Keep it to yourself; give people its fingerprint to compare with /whois.\n' +
      "With --admission, it prints the public admission key of each key in KEYFILE, one a line: the hub's\n" +
      '--admit file, which admits holders of those keys and decrypts nothing.',
    schema: keygenSchema,
    maxPositionals: 1,
    notes: [
      'Exit status: 0 written (or printed); 1 refused (the file exists, chave.key is not a saved Fernet key, or the --admission key file cannot be read); 2 bad usage.',
    ],
  },
  async (config, positionals) => {
    if (config.admission !== undefined) {
      if (positionals.length > 0 || config.fromSeed !== undefined || config.identity !== undefined)
        throw new ConfigError([
          '--admission reads a key file and writes nothing: give it no FILE, no --from-seed and no --identity',
        ]);
      return printAdmissionKeys(config.admission);
    }
    if (config.identity !== undefined) {
      if (positionals.length > 0 || config.fromSeed !== undefined)
        throw new ConfigError([
          '--identity FILE makes an identity alone: give no other file and no --from-seed',
        ]);
      return writeIdentity(config.identity);
    }
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

/** Writes a new identity, mode 0600, never over a file; prints what people compare. */
function writeIdentity(path: string): number {
  const identity = Identity.generate();
  try {
    writeIdentityFile(path, identity);
  } catch (error) {
    if (!(error instanceof IdentityFileError)) throw error;
    process.stderr.write(`fernet-chat-keygen: ${error.message}\n`);
    return 1;
  }
  process.stdout.write(`wrote a new identity to ${path} (mode 0600); keep it to yourself\n`);
  process.stdout.write(`identity fingerprint ${identityFingerprint(identity.publicKey)}\n`);
  return 0;
}

/** Prints one `--admit` line per key of a key file, with its fingerprint as a comment. */
function printAdmissionKeys(path: string): number {
  let ring: ReturnType<typeof readKeyFile>;
  try {
    ring = readKeyFile(path);
  } catch (error) {
    if (error instanceof KeyFileError) {
      process.stderr.write(`fernet-chat-keygen: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  process.stdout.write(`# fernet-chat admission keys of ${path} (public: they decrypt nothing)\n`);
  for (const key of ring.keys)
    process.stdout.write(`${admissionKeyOf(key).publicKey} # key ${fingerprint(key)}\n`);
  return 0;
}

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
  const file = readSmallFile(path, { maxBytes: SEED_KEY_MAX_BYTES });
  if (file.ok) return parseSeedKey(file.bytes, { source: path });
  const problem = file.problem;
  switch (problem.code) {
    case 'not-found':
      throw new ImportError(`${path} does not exist`);
    case 'not-a-file':
      throw new ImportError(`${path} is ${problem.kind}, not a regular file`);
    case 'too-large':
      throw new ImportError(
        `${path} is ${problem.size}, far too large for the seed's chave.key (a pickled Fernet key is about 124 bytes)`,
      );
    case 'too-open':
    case 'unreadable':
      throw new ImportError(
        `cannot read ${path} (${problem.code === 'unreadable' ? problem.errno : problem.code})`,
      );
  }
}
