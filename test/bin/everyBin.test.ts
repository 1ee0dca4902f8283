import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/bins.ts';

// Every bin answers -h, --version and a misspelt flag the same way (issue part 7).
const BINS = ['hub', 'client', 'keygen', 'replay', 'bench'] as const;
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'src/bin', `${bin}.ts`), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.each(BINS)('fernet-chat-%s', (bin) => {
  it('answers --version with the version in package.json, and -h with its usage', async () => {
    const [shown, help] = await Promise.all([run(bin, ['--version']), run(bin, ['-h'])]);
    expect(shown).toEqual({ code: 0, stdout: `fernet-chat-${bin} ${version}\n`, stderr: '' });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: fernet-chat-${bin}`, 'i'));
  });

  it('answers a misspelt flag with the one it most likely meant, in one line, exit 2', async () => {
    const { code, stdout, stderr } = await run(bin, ['--hepl']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `fernet-chat-${bin}: unknown option --hepl: did you mean --help? (see fernet-chat-${bin} --help)\n`,
    );
  });
});
