#!/usr/bin/env node
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import type { ClientConfig } from '../config/clientConfig.ts';
import { Identity, identityFingerprint } from '../crypto/identity.ts';
import { IdentityFileError, readIdentityFile, writeIdentityFile } from '../crypto/identityFile.ts';
import type { Signing } from '../client/runClient.ts';
import { invisibleIn } from '../text/nameLooks.ts';
import { runClient } from '../client/runClient.ts';
import { clientConfigSchema } from '../config/clientConfig.ts';
import { ConfigError } from '../config/configError.ts';
import { PemFileError, readCaFile } from '../config/pemFile.ts';
import { KeyFileError, readKeyFile } from '../crypto/keyFile.ts';
import { nameSchema } from '../protocol/envelope.ts';
import { ask } from '../streams/terminal.ts';
import { runCommand } from './runMain.ts';

await runCommand(
  {
    name: 'fernet-chat-client',
    usage: 'fernet-chat-client [options]',
    summary:
      'Chats through a fernet-chat hub: what you type is encrypted with the key file before it leaves,\n' +
      'and what others say is decrypted on arrival. Piped input: each line is sent, and the client exits at its end.',
    schema: clientConfigSchema,
  },
  async (config) => {
    let ring: ReturnType<typeof readKeyFile>;
    try {
      ring = readKeyFile(config.keyFile);
    } catch (error) {
      if (error instanceof KeyFileError) throw new ConfigError([error.message]);
      throw error;
    }
    let tlsCa: string | undefined;
    try {
      tlsCa = config.tlsCa === undefined ? undefined : readCaFile(config.tlsCa, '--tls-ca');
    } catch (error) {
      if (error instanceof PemFileError) throw new ConfigError([error.message]);
      throw error;
    }
    const name = config.name ?? (await chooseName());
    const signing = await identityFor(config);
    const hidden = invisibleIn(name);
    if (hidden !== undefined && signing.identity !== undefined)
      throw new ConfigError([
        `name ${JSON.stringify(name)} holds an invisible character (${hidden}): the others would refuse every line signed with it`,
      ]);
    const pinnedNamesFile = config.pinnedNamesFile ?? join(dirname(config.keyFile), 'pinned-names');
    return runClient({ ...config, name, pinnedNamesFile }, ring, signing, tlsCa);
  },
);

async function chooseName(): Promise<string> {
  if (!process.stdin.isTTY) {
    // Piped input cannot be asked; the login name will do, if there is one that makes a valid name.
    const login = nameSchema.safeParse(loginName());
    if (login.success) return login.data;
    throw new ConfigError([
      'no name given, and none can be asked for with piped input (use --name or FERNET_CHAT_CLIENT_NAME)',
    ]);
  }
  for (;;) {
    const answer = await ask(process.stdin, process.stdout, 'Your name: ');
    if (answer === undefined)
      throw new ConfigError(['no name given (use --name or FERNET_CHAT_CLIENT_NAME)']);
    const name = nameSchema.safeParse(answer);
    if (name.success) return name.data;
    process.stdout.write(`${name.error.issues[0]?.message}\n`);
  }
}

function loginName(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined; // a user id without a passwd entry, as in many containers
  }
}

/**
 * The identity that signs what we send. A file named in the settings must be there; the default
 * one, beside the key file, is offered to be made on a terminal (with consent), and without a
 * terminal its absence is said in one line and the client goes on unsigned: the others see its
 * lines marked as unsigned, which is what they are.
 */
async function identityFor(config: ClientConfig): Promise<Signing> {
  const path = config.identityFile ?? join(dirname(config.keyFile), 'identity.key');
  try {
    return { identity: readIdentityFile(path) };
  } catch (error) {
    if (!(error instanceof IdentityFileError)) throw error;
    if (error.code !== 'not-found' || config.identityFile !== undefined)
      throw new ConfigError([error.message]);
  }
  const make = `npm run keygen -- --identity ${path}`;
  const unsigned = `! no identity key at ${path}, so your lines go out unsigned (the others see them marked ~); to sign them, first run: ${make}`;
  // Said once connected, among the chat's lines: a client that cannot connect has nothing to sign.
  if (!process.stdin.isTTY || !process.stdout.isTTY) return { unsigned };
  process.stdout.write(
    `No identity key at ${path}. It is a key of your own that signs what you send, so that the others\n` +
      'know your lines are yours (and see anyone else who takes your name). Kept apart from the chat key.\n',
  );
  for (;;) {
    const answer = (await ask(process.stdin, process.stdout, 'Make one now? [Y/n] '))?.trim().toLowerCase();
    if (answer === undefined) throw new ConfigError([`no identity made (make one with: ${make})`]);
    if (answer === 'n' || answer === 'no') {
      return { unsigned };
    }
    if (answer !== '' && answer !== 'y' && answer !== 'yes') continue;
    const identity = Identity.generate();
    try {
      writeIdentityFile(path, identity);
    } catch (error) {
      if (error instanceof IdentityFileError) throw new ConfigError([error.message]);
      throw error;
    }
    process.stdout.write(
      `Wrote ${path} (mode 0600). Your identity fingerprint: ${identityFingerprint(identity.publicKey)}\n`,
    );
    return { identity };
  }
}
