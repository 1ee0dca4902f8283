import type { z } from 'zod';
import { clientConfigSchema } from './clientConfig.ts';
import { hubConfigSchema } from './hubConfig.ts';
import { envPrefixOf, settingsOf } from './settingsOf.ts';

/**
 * The README's configuration tables, made from the zod schemas so that the docs cannot drift from
 * what the bins accept (a test compares them with the README).
 */
export function configTables(): string {
  return [
    table('Hub (`fernet-chat-hub`, `npm start -- …`)', hubConfigSchema, 'fernet-chat-hub'),
    table('Client (`fernet-chat-client`, `npm run client -- …`)', clientConfigSchema, 'fernet-chat-client'),
  ].join('\n');
}

function table(title: string, schema: z.ZodObject, bin: string): string {
  const rows = settingsOf(schema, envPrefixOf(bin)).map((s) => {
    const flag = s.kind === 'boolean' ? `--[no-]${s.flag}` : `--${s.flag}`;
    const fallback = s.defaultValue === undefined ? '—' : `\`${JSON.stringify(s.defaultValue)}\``;
    return `| \`${flag}\` | \`${s.env}\` | ${fallback} | ${s.description.replace(/\|/g, '\\|')} |`;
  });
  return [
    `#### ${title}`,
    '',
    '| flag | environment | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
