import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_DEFAULTS, clientConfigSchema } from '../../src/config/clientConfig.ts';
import { ConfigError } from '../../src/config/configError.ts';
import { HUB_DEFAULTS, hubConfigSchema } from '../../src/config/hubConfig.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { tempDir } from '../support/testKey.ts';

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

function configFile(content: string | object, name = 'config.json'): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The problem lines of the ConfigError that loading throws. */
function problemsOf(load: () => unknown): readonly string[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the defaults when nothing is set', () => {
    const hub = loadConfig(hubConfigSchema, { env: {}, flags: {} });
    expect(hub).toMatchObject({
      host: HUB_DEFAULTS.host,
      port: 10101,
      framing: 'line',
      maxFrameBytes: 64 * 1024,
      maxQueueBytes: HUB_DEFAULTS.maxQueueBytes,
      backlog: HUB_DEFAULTS.backlog,
    });
    expect(HUB_DEFAULTS.backlog).toBeGreaterThan(2); // not the seed's listen(2)
    const client = loadConfig(clientConfigSchema, { env: {}, flags: {} });
    expect(client).toMatchObject({
      host: 'localhost',
      port: 10101,
      keyFile: 'chat.key',
      framing: 'line',
      ttlSeconds: CLIENT_DEFAULTS.ttlSeconds,
    });
    expect(client.name).toBeUndefined();
  });

  it('takes the file over the defaults, the environment over the file, and flags over both', () => {
    const file = configFile({ port: 1111, host: 'file-host', framing: 'chunk' });
    const env = { FERNET_CHAT_PORT: '2222', FERNET_CHAT_HOST: 'env-host' };
    const flags = { port: '3333' };
    expect(loadConfig(hubConfigSchema, { file, env, flags })).toMatchObject({
      port: 3333,
      host: 'env-host',
      framing: 'chunk',
      maxFrameBytes: 64 * 1024,
    });
    expect(loadConfig(hubConfigSchema, { file, env, flags: {} })).toMatchObject({
      port: 2222,
      host: 'env-host',
    });
    expect(loadConfig(hubConfigSchema, { file, env: {}, flags: {} })).toMatchObject({
      port: 1111,
      host: 'file-host',
    });
  });

  it('ignores an environment variable that is set but empty', () => {
    expect(loadConfig(hubConfigSchema, { env: { FERNET_CHAT_PORT: '' }, flags: {} }).port).toBe(10101);
  });

  it('reads numbers and booleans from text', () => {
    const client = loadConfig(clientConfigSchema, {
      env: { FERNET_CHAT_TTL_SECONDS: '60' },
      flags: { port: ' 4000 ' },
    });
    expect(client).toMatchObject({ ttlSeconds: 60, port: 4000 });
  });

  it('names the setting, the value, where it came from and what is allowed', () => {
    expect(problemsOf(() => loadConfig(hubConfigSchema, { env: {}, flags: { port: '70000' } }))).toEqual([
      'port = 70000 from --port: must be a whole number from 0 to 65535',
    ]);
    expect(
      problemsOf(() => loadConfig(hubConfigSchema, { env: { FERNET_CHAT_PORT: 'http' }, flags: {} })),
    ).toEqual(['port = "http" from FERNET_CHAT_PORT: must be a whole number from 0 to 65535']);
    const file = configFile({ framing: 'lines' });
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file, env: {}, flags: {} }))).toEqual([
      `framing = "lines" in ${file}: must be line or chunk`,
    ]);
  });

  it('gives one line per problem, all at once', () => {
    const problems = problemsOf(() =>
      loadConfig(hubConfigSchema, {
        env: { FERNET_CHAT_MAX_FRAME_BYTES: '10' },
        flags: { port: '-5', framing: 'x' },
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(' ')[0])).toEqual(
      expect.arrayContaining(['port', 'framing', 'maxFrameBytes']),
    );
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('refuses a fractional number, and a number written as a word', () => {
    expect(problemsOf(() => loadConfig(hubConfigSchema, { env: {}, flags: { port: '80.5' } }))[0]).toMatch(
      /^port = 80.5 from --port: /,
    );
    expect(problemsOf(() => loadConfig(hubConfigSchema, { env: {}, flags: { port: 'eighty' } }))[0]).toMatch(
      /^port = "eighty" from --port: /,
    );
  });

  it('refuses a setting the JSON file has but the bin does not know, listing the known ones', () => {
    const file = configFile({ port: 1, colour: 'blue' });
    const [problem, ...rest] = problemsOf(() => loadConfig(hubConfigSchema, { file, env: {}, flags: {} }));
    expect(rest).toEqual([]);
    expect(problem).toContain(`unknown setting "colour" in ${file}`);
    expect(problem).toMatch(/known: .*host.*port/);
    const typo = configFile({ prot: 1 }, 'typo.json');
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file: typo, env: {}, flags: {} }))[0]).toMatch(
      new RegExp(`^unknown setting "prot" \\(did you mean "port"\\?\\) in ${typo}; known: host, port, `),
    );
  });

  it('refuses a file that is not JSON, not an object, or not there', () => {
    const bad = configFile('{ "port": 1,', 'bad.json');
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file: bad, env: {}, flags: {} }))).toEqual([
      expect.stringMatching(new RegExp(`^config file ${bad}: not valid JSON \\(.+\\)$`)),
    ]);
    const list = configFile('[1, 2]', 'list.json');
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file: list, env: {}, flags: {} }))).toEqual([
      `config file ${list}: expected a JSON object of settings`,
    ]);
    const missing = join(dir, 'missing.json');
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file: missing, env: {}, flags: {} }))).toEqual([
      `config file ${missing}: no such file`,
    ]);
    expect(problemsOf(() => loadConfig(hubConfigSchema, { file: dir, env: {}, flags: {} }))).toEqual([
      `config file ${dir}: a directory, not a file`,
    ]);
  });

  it('throws a ConfigError with the bad-config code', () => {
    try {
      loadConfig(hubConfigSchema, { env: {}, flags: { port: 'x' } });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).code).toBe('bad-config');
      expect((error as ConfigError).message).toBe((error as ConfigError).problems.join('\n'));
    }
  });
});
