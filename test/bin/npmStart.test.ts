import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/bins.ts';
import { eventually } from '../support/eventually.ts';
import { accepts } from '../support/portProbe.ts';

// The README starts hubs with `npm start ... &`; stopping that job signals npm, whose shell
// (dash on Debian) does not pass the signal on: the hub went on running without its npm. It now
// watches for its npm to go (src/hub/parentWatch.ts).
describe('npm start', () => {
  it('stops the hub when npm is stopped: it says goodbye and exits', async () => {
    const npm = spawn('npm', ['start', '-s', '--', '--port', '0', '--no-web'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    npm.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<number | null>((resolve) => npm.on('close', (code) => resolve(code)));
    const port = Number(
      await eventually(
        () => /event=listening .*port=(\d+)/.exec(stderr)?.[1],
        () => `listening in: ${stderr}`,
        30_000,
      ),
    );
    expect(await accepts(port)).toBe(true);
    npm.kill('SIGTERM');
    await exited;
    // npm's shell may pass the signal on (bash) or not (dash): either way the hub stops.
    expect(stderr).toMatch(/event=(signal signal=SIGTERM|parent-gone)/);
    expect(stderr).toContain('event=exit reason=shutdown');
    expect(await accepts(port)).toBe(false);
  }, 40_000);
});
