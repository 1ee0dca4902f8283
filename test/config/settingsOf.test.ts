import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clientConfigSchema } from '../../src/config/clientConfig.ts';
import { hubConfigSchema } from '../../src/config/hubConfig.ts';
import { ENV_PREFIX, envPrefixOf, settingsOf } from '../../src/config/settingsOf.ts';

describe('settingsOf', () => {
  const schema = z.strictObject({
    maxFrameBytes: z.number().int().default(64).describe('longest frame'),
    framing: z.enum(['line', 'chunk']).default('line').describe('how frames end'),
    name: z.string().optional().describe('who you are'),
    verbose: z.boolean().default(false).describe('talk more'),
  });

  it('derives flag, environment variable, kind, default and allowed values from the schema', () => {
    expect(settingsOf(schema)).toEqual([
      {
        key: 'maxFrameBytes',
        flag: 'max-frame-bytes',
        env: 'FERNET_CHAT_MAX_FRAME_BYTES',
        kind: 'number',
        description: 'longest frame',
        defaultValue: 64,
        allowed: 'number',
        rule: 'must be a whole number',
        ownMessages: false,
      },
      {
        key: 'framing',
        flag: 'framing',
        env: 'FERNET_CHAT_FRAMING',
        kind: 'string',
        description: 'how frames end',
        defaultValue: 'line',
        allowed: 'line|chunk',
        rule: 'must be line or chunk',
        ownMessages: false,
      },
      {
        key: 'name',
        flag: 'name',
        env: 'FERNET_CHAT_NAME',
        kind: 'string',
        description: 'who you are',
        defaultValue: undefined,
        allowed: 'string',
        rule: 'must be text',
        ownMessages: false,
      },
      {
        key: 'verbose',
        flag: 'verbose',
        env: 'FERNET_CHAT_VERBOSE',
        kind: 'boolean',
        description: 'talk more',
        defaultValue: false,
        allowed: 'boolean',
        rule: 'must be true or false (also yes/no, on/off, 1/0)',
        ownMessages: false,
      },
    ]);
  });

  it('names environment variables after the bin, so that each bin reads only its own', () => {
    expect(envPrefixOf('fernet-chat-hub')).toBe('FERNET_CHAT_HUB_');
    expect(settingsOf(schema, envPrefixOf('fernet-chat-client')).map((s) => s.env)).toEqual([
      'FERNET_CHAT_CLIENT_MAX_FRAME_BYTES',
      'FERNET_CHAT_CLIENT_FRAMING',
      'FERNET_CHAT_CLIENT_NAME',
      'FERNET_CHAT_CLIENT_VERBOSE',
    ]);
  });

  it.each([
    ['hub', hubConfigSchema],
    ['client', clientConfigSchema],
  ])('gives every %s setting a description, and env names under the prefix', (_, schema) => {
    const settings = settingsOf(schema);
    expect(settings.length).toBeGreaterThan(3);
    for (const setting of settings) {
      expect(setting.description, setting.key).not.toBe('');
      expect(setting.env.startsWith(ENV_PREFIX)).toBe(true);
      expect(setting.flag).toMatch(/^[a-z]+(-[a-z]+)*$/);
    }
  });

  it('knows the settings the issue asks for', () => {
    const keys = (schema: z.ZodObject) => settingsOf(schema).map((s) => s.key);
    expect(keys(hubConfigSchema)).toEqual(
      expect.arrayContaining(['host', 'port', 'framing', 'maxFrameBytes']),
    );
    expect(keys(clientConfigSchema)).toEqual(
      expect.arrayContaining(['host', 'port', 'keyFile', 'name', 'framing']),
    );
  });
});
