import { z } from 'zod';

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
}

export const ENV_PREFIX = 'FERNET_CHAT_';

/**
 * Reads the settings off a zod object schema, so that flags, environment variables and help are
 * derived from the one schema that validates them: `maxFrameBytes` is `--max-frame-bytes` and
 * `FERNET_CHAT_MAX_FRAME_BYTES`.
 */
export function settingsOf(schema: z.ZodObject): Setting[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    const { base, description, defaultValue } = unwrap(field as z.ZodType);
    const kind = base instanceof z.ZodNumber ? 'number' : base instanceof z.ZodBoolean ? 'boolean' : 'string';
    const allowed = base instanceof z.ZodEnum ? base.options.join('|') : kind;
    const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return {
      key,
      flag: kebab,
      env: ENV_PREFIX + kebab.replace(/-/g, '_').toUpperCase(),
      kind,
      description,
      defaultValue,
      allowed,
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
