#!/usr/bin/env node
import { userInfo } from 'node:os';
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
    return runClient({ ...config, name }, ring, tlsCa);
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
