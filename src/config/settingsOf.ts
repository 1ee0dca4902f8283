import { z } from 'zod';
import { allowedValues, hasOwnMessages } from './allowedValues.ts';

/** What the command line, the environment and `--help` need to know about one setting. */
export interface Setting {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'number' | 'boolean';
  readonly description: string;
  readonly defaultValue: unknown;
  /** Shown in --help instead of the type, e.g. `line|chunk`. */
  readonly allowed: string;
  /** What a bad value is told, in a person's words: `must be a whole number from 0 to 65535`. */
  readonly rule: string;
  /** The schema's checks have messages of their own (a name's), which say more than `rule`. */
  readonly ownMessages: boolean;
}

export const ENV_PREFIX = 'FERNET_CHAT_';

/**
 * Each bin reads only its own environment variables, named after it: `FERNET_CHAT_HUB_PORT` is
 * the hub's, `FERNET_CHAT_CLIENT_PORT` the client's, `FERNET_CHAT_HUB_CONFIG` the hub's config
 * file. So what is exported for one bin (a client's config file, the hub's host) never changes
 * or breaks another that runs in the same shell.
 */
export function envPrefixOf(bin: string): string {
  return `${bin.replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}_`;
}

/**
 * Reads the settings off a zod object schema, so that flags, environment variables and help are
 * derived from the one schema that validates them: for the hub (`envPrefix` FERNET_CHAT_HUB_),
 * `maxFrameBytes` is `--max-frame-bytes` and `FERNET_CHAT_HUB_MAX_FRAME_BYTES`.
 */
export function settingsOf(schema: z.ZodObject, envPrefix = ENV_PREFIX): Setting[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const { base, description, defaultValue } = unwrap(field as z.ZodType);
    const kind = base instanceof z.ZodNumber ? 'number' : base instanceof z.ZodBoolean ? 'boolean' : 'string';
    const allowed = base instanceof z.ZodEnum ? base.options.join('|') : kind;
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return {
      key,
      flag: kebab,
      env: envPrefix + kebab.replace(/-/g, '_').toUpperCase(),
      kind,
      description,
      defaultValue,
      allowed,
      rule: allowedValues(base),
      ownMessages: hasOwnMessages(base),
    };
  });
}

function unwrap(field: z.ZodType): { base: z.ZodType; description: string; defaultValue: unknown } {
  let base = field;
  let description = field.description ?? '';
  let defaultValue: unknown;
  while (base instanceof z.ZodDefault || base instanceof z.ZodOptional) {
    if (base instanceof z.ZodDefault) defaultValue = base.def.defaultValue;
    base = base.unwrap() as z.ZodType;
    description ||= base.description ?? '';
  }
  return { base, description, defaultValue };
}
