#!/usr/bin/env node
import { ConfigError } from '../config/configError.ts';
import { replayConfigSchema } from '../config/replayConfig.ts';
import { runReplay } from '../replay/runReplay.ts';
import { runCommand } from './runMain.ts';

await runCommand(
  {
    name: 'fernet-chat-replay',
    usage: 'fernet-chat-replay FILE [--key KEYFILE] [--expect TRANSCRIPT] [--live HOST:PORT] [--speed X]',
    summary:
      'Replays a recording made with fernet-chat-hub --record FILE through the same hub actor, in virtual\n' +
      'time (instant, deterministic) or against a live hub, and prints what each connection received.',
    schema: replayConfigSchema,
    maxPositionals: 1,
    notes: [
      'Exit status: 0 as expected; 1 when the replay differs from --expect or, live, from the recording;',
      '2 for a malformed recording (the line and the problem are named) or a bad option.',
    ],
  },
  async (config, positionals) => {
    const file = positionals[0];
    if (file === undefined) throw new ConfigError(['which recording? (see fernet-chat-replay --help)']);
    return runReplay(config, file, {
      stdout: (text) => process.stdout.write(text),
      stderr: (line) => process.stderr.write(`fernet-chat-replay: ${line}\n`),
    });
  },
);
