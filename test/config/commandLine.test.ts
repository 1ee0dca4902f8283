import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientConfigSchema } from '../../src/config/clientConfig.ts';
import { type CommandSpec, helpText, parseCommandLine } from '../../src/config/commandLine.ts';
import { ConfigError } from '../../src/config/configError.ts';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import { envPrefixOf, settingsOf } from '../../src/config/settingsOf.ts';
import { tempDir } from '../support/testKey.ts';

const hubSpec = {
  name: 'fernet-chat-hub',
  usage: 'fernet-chat-hub [options]',
  summary: 'Relays encrypted chat frames.',
  schema: hubConfigSchema,
};
const clientSpec = {
  ...hubSpec,
  name: 'fernet-chat-client',
  usage: 'fernet-chat-client [options]',
  schema: clientConfigSchema,
};

const toggles = z.strictObject({
  verbose: z.boolean().default(true).describe('talk more'),
  colour: z.boolean().default(false).describe('use colours'),
});
const toggleSpec: CommandSpec<typeof toggles> = {
  name: 'tool',
  usage: 'tool',
  summary: 'A tool.',
  schema: toggles,
};

function run<S extends z.ZodObject>(spec: CommandSpec<S>, argv: string[], env: NodeJS.ProcessEnv = {}) {
  const command = parseCommandLine(spec, argv, env);
  if (command.kind !== 'run') throw new Error('expected a run');
  return command;
}

function problemsOf(action: () => unknown): readonly string[] {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

describe('parseCommandLine', () => {
  it('gives the defaults with no arguments', () => {
    expect(run(hubSpec, []).config).toMatchObject({ host: '127.0.0.1', port: 10101, framing: 'line' });
  });

  it('has one kebab-case flag per setting, with --flag value and --flag=value', () => {
    expect(
      run(hubSpec, ['--port', '0', '--max-frame-bytes=1024', '--framing', 'chunk']).config,
    ).toMatchObject({
      port: 0,
      maxFrameBytes: 1024,
      framing: 'chunk',
    });
    expect(run(clientSpec, ['--key-file', 'k.key', '--name', 'alice']).config).toMatchObject({
      keyFile: 'k.key',
      name: 'alice',
    });
  });

  it('lets flags beat the environment, and the environment beat the --config file', () => {
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify({ port: 1, host: 'from-file', maxFrameBytes: 4096 }));
    const env = { FERNET_CHAT_HUB_PORT: '2', FERNET_CHAT_HUB_HOST: 'from-env' };
    expect(run(hubSpec, ['--config', file, '--port', '3'], env).config).toMatchObject({
      port: 3,
      host: 'from-env',
      maxFrameBytes: 4096,
    });
  });

  it('finds the config file in FERNET_CHAT_HUB_CONFIG too, with --config taking precedence', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify({ port: 1111 }));
    writeFileSync(b, JSON.stringify({ port: 2222 }));
    expect(run(hubSpec, [], { FERNET_CHAT_HUB_CONFIG: a }).config.port).toBe(1111);
    expect(run(hubSpec, ['--config', b], { FERNET_CHAT_HUB_CONFIG: a }).config.port).toBe(2222);
  });

  it("reads only the bin's own environment: one bin's exported settings never break or change another", () => {
    const clientFile = join(dir, 'client.json');
    writeFileSync(clientFile, JSON.stringify({ keyFile: 'chat.key', name: 'alice' }));
    const env = {
      FERNET_CHAT_CLIENT_CONFIG: clientFile,
      FERNET_CHAT_CLIENT_HOST: 'hub.example',
      FERNET_CHAT_CLIENT_PORT: '4000',
    };
    expect(run(hubSpec, [], env).config).toMatchObject({ host: '127.0.0.1', port: 10101 });
    expect(run(clientSpec, [], env).config).toMatchObject({ host: 'hub.example', port: 4000, name: 'alice' });
    // The unprefixed names were shared by every bin, so they are read by none; a bin says so once.
    const shared = run(hubSpec, [], { FERNET_CHAT_CONFIG: clientFile, FERNET_CHAT_HOST: 'x' });
    expect(shared.config.host).toBe('127.0.0.1');
    expect(shared.notes).toEqual([
      'FERNET_CHAT_HOST is not read: fernet-chat-hub reads FERNET_CHAT_HUB_HOST (each bin has its own variables)',
      'FERNET_CHAT_CONFIG is not read: fernet-chat-hub reads FERNET_CHAT_HUB_CONFIG (each bin has its own variables)',
    ]);
    expect(run(hubSpec, [], { FERNET_CHAT_HOST: 'x', FERNET_CHAT_HUB_HOST: 'y' }).notes).toEqual([]);
    expect(run(hubSpec, [], env).notes).toEqual([]);
  });

  it("says what is allowed in a person's words, one line per setting", () => {
    expect(problemsOf(() => run(hubSpec, ['--port', '99999']))).toEqual([
      'port = 99999 from --port: must be a whole number from 0 to 65535',
    ]);
    expect(problemsOf(() => run(hubSpec, ['--flood-rate=-1', '--pong-timeout-seconds', '0']))).toEqual([
      'floodRate = -1 from --flood-rate: must be a number of 0 or more',
      'pongTimeoutSeconds = 0 from --pong-timeout-seconds: must be a number above 0',
    ]);
    expect(problemsOf(() => run(hubSpec, ['--host', '']))).toEqual([
      'host = "" from --host: must not be empty',
    ]);
    expect(problemsOf(() => run(clientSpec, ['--name', '']))).toEqual([
      'name = "" from --name: a name needs at least one character',
    ]);
  });

  it('takes booleans as --x and --no-x, and from the environment as yes/no words', () => {
    expect(run(toggleSpec, []).config).toEqual({ verbose: true, colour: false });
    expect(run(toggleSpec, ['--no-verbose', '--colour']).config).toEqual({ verbose: false, colour: true });
    expect(run(toggleSpec, ['--colour', '--no-colour']).config.colour).toBe(false);
    expect(run(toggleSpec, [], { TOOL_VERBOSE: 'off', TOOL_COLOUR: 'yes' }).config).toEqual({
      verbose: false,
      colour: true,
    });
    expect(run(toggleSpec, ['--verbose'], { TOOL_VERBOSE: '0' }).config.verbose).toBe(true);
    expect(problemsOf(() => run(toggleSpec, [], { TOOL_COLOUR: 'maybe' }))).toEqual([
      'colour = "maybe" from TOOL_COLOUR: must be true or false (also yes/no, on/off, 1/0)',
    ]);
  });

  it('refuses an unknown flag in one plain line, with the flag it most likely meant, pointing at --help', () => {
    expect(problemsOf(() => run(hubSpec, ['--prot', '1']))).toEqual([
      'unknown option --prot: did you mean --port? (see fernet-chat-hub --help)',
    ]);
    expect(problemsOf(() => run(hubSpec, ['--max-frame-byte=9']))).toEqual([
      'unknown option --max-frame-byte: did you mean --max-frame-bytes? (see fernet-chat-hub --help)',
    ]);
    expect(problemsOf(() => run(clientSpec, ['--no-reconect']))).toEqual([
      'unknown option --no-reconect: did you mean --no-reconnect? (see fernet-chat-client --help)',
    ]);
    expect(problemsOf(() => run(hubSpec, ['--colour']))).toEqual([
      'unknown option --colour (see fernet-chat-hub --help)',
    ]);
    expect(problemsOf(() => run(hubSpec, ['-p']))).toEqual([
      'unknown option -p (see fernet-chat-hub --help)',
    ]);
  });

  it('refuses a flag without its value', () => {
    expect(problemsOf(() => run(hubSpec, ['--port']))).toEqual([
      '--port needs a value (see fernet-chat-hub --help)',
    ]);
  });

  it('says how to give a value that starts with a dash, on the same line', () => {
    const [problem, ...rest] = problemsOf(() => run(hubSpec, ['--port', '-1']));
    expect(rest).toEqual([]);
    expect(problem).toBe(
      "--port needs a value (for one that starts with '-', write --port=-1) (see fernet-chat-hub --help)",
    );
    expect(problem).not.toContain('\n');
    expect(problemsOf(() => run(hubSpec, ['--port=-1']))).toEqual([
      'port = -1 from --port: must be a whole number from 0 to 65535',
    ]);
  });

  it('refuses arguments the bin does not take, and passes on those it does', () => {
    expect(problemsOf(() => run(hubSpec, ['extra']))).toEqual([
      'unexpected argument "extra" (see fernet-chat-hub --help)',
    ]);
    const keygen = { ...toggleSpec, maxPositionals: 1 };
    expect(run(keygen, ['my.key']).positionals).toEqual(['my.key']);
    expect(problemsOf(() => run(keygen, ['a', 'b']))).toEqual(['unexpected argument "b" (see tool --help)']);
  });

  it('reports bad values with the flag they came from', () => {
    expect(problemsOf(() => run(hubSpec, ['--port', 'abc', '--framing', 'lines']))).toEqual([
      'port = "abc" from --port: must be a whole number from 0 to 65535',
      'framing = "lines" from --framing: must be line or chunk',
    ]);
    expect(problemsOf(() => run(clientSpec, ['--name', 'a\u001bb']))).toEqual([
      expect.stringMatching(/^name = "a\\u001bb" from --name: a name cannot contain control characters/),
    ]);
  });

  it('answers -h as --help, and --version with the version in package.json', () => {
    expect(parseCommandLine(hubSpec, ['-h'], {})).toEqual({ kind: 'help', text: helpText(hubSpec) });
    expect(parseCommandLine(hubSpec, ['--version'], {})).toEqual({
      kind: 'version',
      text: `fernet-chat-hub ${pkg.version}\n`,
    });
  });

  it('answers --help with the help text, even among other flags', () => {
    expect(parseCommandLine(hubSpec, ['--port', 'nonsense', '--help'], {})).toEqual({
      kind: 'help',
      text: helpText(hubSpec),
    });
  });
});

describe('helpText', () => {
  it.each<[string, CommandSpec<z.ZodObject>]>([
    ['hub', hubSpec],
    ['client', clientSpec],
  ])('lists every %s setting with its flag, environment variable and default', (_, spec) => {
    const text = helpText(spec);
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Usage: ${spec.usage}`);
    expect(text).toContain(spec.summary);
    for (const setting of settingsOf(spec.schema, envPrefixOf(spec.name))) {
      const line = lines.find(
        (l) => l.includes(`--${setting.flag} `) || l.includes(`--[no-]${setting.flag} `),
      );
      expect(line, setting.flag).toBeDefined();
      expect(line).toContain(`[${setting.env}]`);
      expect(line).toContain(setting.description);
      if (setting.defaultValue !== undefined)
        expect(line).toContain(`(default: ${JSON.stringify(setting.defaultValue)})`);
    }
    expect(text).toMatch(new RegExp(`--config FILE .*\\[${envPrefixOf(spec.name)}CONFIG\\]`));
    expect(text).toMatch(/-h, --help +show this help/);
    expect(text).toMatch(/--version +show the version/);
  });

  it('shows the concrete flags of the hub', () => {
    const text = helpText(hubSpec);
    expect(text).toMatch(/--port NUMBER +.*\(default: 10101\) \[FERNET_CHAT_HUB_PORT\]/);
    expect(text).toMatch(/--framing line\|chunk +.*\(default: "line"\) \[FERNET_CHAT_HUB_FRAMING\]/);
    expect(text).toMatch(
      /--max-frame-bytes NUMBER +.*\(default: 65536\) \[FERNET_CHAT_HUB_MAX_FRAME_BYTES\]/,
    );
  });

  it('shows a boolean as --[no-]flag and a setting without default without one', () => {
    expect(helpText(toggleSpec)).toMatch(/--\[no-\]verbose +talk more \(default: true\) \[TOOL_VERBOSE\]/);
    const name = helpText(clientSpec)
      .split('\n')
      .find((line) => line.includes('--name '));
    expect(name).toMatch(/--name STRING +your name.*\[FERNET_CHAT_CLIENT_NAME\]$/);
    expect(name).not.toContain('default:');
  });
});
