import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientArgs, START_TIMEOUT_MS, startTestClient, stopAll } from '../support/bins.ts';
import { startTestHub } from '../support/hub.ts';
import { tempDir, writeTestKeyFile } from '../support/testKey.ts';
import { localTime, nameColour } from '../../src/text/lineStyle.ts';
import { binCommand, TmuxScreen, tmuxSkipReason } from '../support/tmux.ts';

/** The screen, its lines without the local time a terminal shows before each chat line. */
class ChatScreen extends TmuxScreen {
  override lines(): string[] {
    return super.lines().map((line) => line.replace(/^\d\d:\d\d /, ''));
  }
}

/**
 * The client in a real terminal emulator (tmux), read back with capture-pane, scrollback
 * included: a line the client wrote and then erased while redrawing the prompt is really gone.
 */
describe.skipIf(tmuxSkipReason !== undefined)(
  `the client's screen in a terminal (tmux${tmuxSkipReason ? `: skipped, ${tmuxSkipReason}` : ''})`,
  () => {
    let dir: { dir: string; cleanup: () => void };
    let screen: ChatScreen | undefined;

    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(async () => {
      screen?.close();
      screen = undefined;
      await stopAll();
      dir.cleanup();
    });

    /** Alice in tmux, `columns` wide, with her prompt up. */
    async function aliceOnScreen(columns: number, ...more: string[]) {
      return aliceWith({}, columns, ...more);
    }

    async function aliceWith(env: Record<string, string>, columns: number, ...more: string[]) {
      const hub = await startTestHub();
      const key = writeTestKeyFile(dir.dir);
      const command = binCommand('client', clientArgs(hub.port, key, 'alice', ...more));
      screen = new ChatScreen(command, columns, 20, env);
      await screen.waitFor(
        (lines) => lines.some((line) => line.startsWith('alice>')),
        'the prompt',
        START_TIMEOUT_MS,
      );
      return { hub, key, screen };
    }

    /** Bob says each line, then leaves; alice's screen must end up holding every one of them. */
    async function bobSays(port: number, key: string, said: readonly string[]) {
      const bob = startTestClient(port, key, 'bob');
      for (const line of said) bob.write(`${line}\n`);
      bob.endInput();
      expect((await bob.waitForExit(START_TIMEOUT_MS)).code).toBe(0);
    }

    it.each([
      {
        what: 'ASCII',
        columns: 40,
        draft: 'short but now wider than forty columns!!',
        said: ['narrow 1', 'narrow 2'],
      },
      { what: 'ASCII', columns: 100, draft: 'x'.repeat(144), said: ['wide 1', 'wide 2', 'wide 3'] },
      // Each of these takes two columns: 24 of them and the prompt fill two rows of 40, not one.
      { what: 'wide characters', columns: 40, draft: '漢字かな'.repeat(6), said: ['under wide characters'] },
    ])(
      'at $columns columns with a draft of $what that wraps, no incoming line is lost',
      async ({ columns, draft, said }) => {
        const { hub, key, screen } = await aliceOnScreen(columns);
        screen.type(draft);
        await screen.waitForLine(`alice> ${draft}`);

        await bobSays(hub.port, key, said);
        const expected = ['* bob joined', ...said.map((line) => `bob: ${line}`), '* bob left'];
        const before = await screen.waitFor(
          (lines) => expected.every((line) => lines.includes(line)),
          `every line of bob's: ${expected.join(' | ')}`,
        );
        // The draft shows once: no stale copy of its first row is left above the lines.
        expect(
          before.filter((line) => line.startsWith('alice> ')),
          before.join('\n'),
        ).toEqual([`alice> ${draft}`]);

        // Still there once the draft is sent and the prompt moves on.
        screen.press('Enter');
        const lines = await screen.waitFor(
          (seen) => seen.filter((line) => line.startsWith('alice>')).length >= 2,
          'a fresh prompt after the draft was sent',
        );
        // The lines come in order, each once, right above the draft that was being typed: no
        // stale or blank rows between them.
        const first = lines.indexOf(expected[0]!);
        expect(lines.slice(first, first + expected.length + 1), lines.join('\n')).toEqual([
          ...expected,
          `alice> ${draft}`,
        ]);
      },
    );

    it('after /nick the prompt shows the new name', async () => {
      const { screen } = await aliceOnScreen(60);
      screen.type('/nick ally');
      screen.press('Enter');
      await screen.waitForLine('* you are now ally (were alice)');
      screen.type('draft');
      await screen.waitForLine('ally> draft');
    });

    it('loses no line, and leaves no blank rows, while a long paste arrives along with the lines', async () => {
      const { hub, key, screen } = await aliceOnScreen(40);
      const said = Array.from({ length: 20 }, (_, i) => `line ${i + 1} of 20`);
      const paste = Array.from({ length: 12 }, (_, i) => `pasted-${i}`).join(' ');
      const bob = bobSays(hub.port, key, said);
      screen.type(paste); // one write, as a terminal delivers a paste
      await bob;
      const expected = ['* bob joined', ...said.map((line) => `bob: ${line}`), '* bob left'];
      const lines = await screen.waitFor(
        (seen) => expected.every((line) => seen.includes(line)) && seen.includes(`alice> ${paste}`),
        'every line and the whole paste',
      );
      expect(lines.filter((line) => line.startsWith('alice> '))).toEqual([`alice> ${paste}`]);
      const between = lines.slice(lines.indexOf('* bob joined'), lines.indexOf(`alice> ${paste}`));
      expect(between, lines.join('\n')).not.toContain('');
    });

    it('loses no line when the terminal is resized under a wrapped draft', async () => {
      const { hub, key, screen } = await aliceOnScreen(40);
      const draft = 'a draft that wraps at forty columns, and then some';
      screen.type(draft);
      await screen.waitForLine(`alice> ${draft}`);
      await bobSays(hub.port, key, ['before the resize']);
      await screen.waitForLine('* bob left');

      // Wider: tmux rejoins the draft's rows, and the prompt is redrawn one row shorter.
      screen.resize(100);
      await screen.waitForLine(`alice> ${draft}`);
      await bobSays(hub.port, key, ['after widening']);
      await screen.waitFor(
        (lines) => lines.filter((line) => line === '* bob left').length === 2,
        'bob left twice',
      );

      // Narrower again: the draft wraps onto more rows.
      screen.resize(30);
      await bobSays(hub.port, key, ['after narrowing']);
      const lines = await screen.waitFor(
        (seen) => seen.filter((line) => line === '* bob left').length === 3,
        'bob left three times',
      );
      for (const line of ['bob: before the resize', 'bob: after widening', 'bob: after narrowing'])
        expect(lines).toContain(line);
      expect(lines.filter((line) => line === '* bob joined')).toHaveLength(3);
    });

    describe('shows each chat line after its local time, the name in its own colour', () => {
      it('in colour on a terminal', async () => {
        const { hub, key, screen } = await aliceOnScreen(60);
        const from = localTime(new Date().toISOString());
        await bobSays(hub.port, key, ['hi alice']);
        await screen.waitForLine('* bob left');
        const until = localTime(new Date().toISOString());
        const raw = screen.raw();
        const line = raw.split('\n').find((seen) => seen.includes('hi alice'))!;
        // eslint-disable-next-line no-control-regex -- reading the colour codes is the point
        const time = /^(?:\x1b\[[0-9;]*m)*(\d\d:\d\d) /.exec(line)?.[1];
        expect([from, until], line).toContain(time);
        expect(line).toContain(`\x1b[${nameColour('bob')}mbob\x1b[39m: hi alice`);
      });

      it('with NO_COLOR, times without colour', async () => {
        const { hub, key, screen } = await aliceWith({ NO_COLOR: '1' }, 60);
        await bobSays(hub.port, key, ['hi alice']);
        await screen.waitForLine('* bob left');
        const line = screen
          .raw()
          .split('\n')
          .find((seen) => seen.includes('hi alice'))!;
        expect(line).toMatch(/^\d\d:\d\d bob: hi alice$/);
      });
    });

    describe('leaves the terminal on a fresh line, so the shell prompt does not follow ours', () => {
      it('after Ctrl-D', async () => {
        const { screen } = await aliceOnScreen(40);
        screen.press('C-d');
        const lines = await screen.waitFor(
          (seen) => seen.some((line) => line.includes('[exit ')),
          'the exit',
        );
        expect(lines).toContain('[exit 0]');
        expect(lines).toContain('alice>');
      });

      it('after Ctrl-C, with the draft left whole', async () => {
        const { screen } = await aliceOnScreen(40);
        screen.type('half a thought that wraps past forty columns');
        screen.press('Left', 'Left', 'Left');
        await screen.waitForLine('alice> half a thought that wraps past forty columns');
        screen.press('C-c');
        const lines = await screen.waitFor(
          (seen) => seen.some((line) => line.includes('[exit ')),
          'the exit',
        );
        expect(lines).toContain('[exit 0]');
        expect(lines).toContain('alice> half a thought that wraps past forty columns');
      });

      it('after losing the hub', async () => {
        const { hub, screen } = await aliceOnScreen(60, '--no-reconnect');
        hub.bin.kill('SIGKILL');
        const lines = await screen.waitFor(
          (seen) => seen.some((line) => line.includes('[exit ')),
          'the exit',
        );
        expect(lines).toContain('fernet-chat-client: the connection to the hub was lost');
        expect(lines).toContain('[exit 1]');
      });

      it('after Ctrl-C or Ctrl-D at the name question', async () => {
        const hub = await startTestHub();
        const key = writeTestKeyFile(dir.dir);
        const args = ['--host', '127.0.0.1', '--port', String(hub.port), '--key-file', key];
        for (const key of ['C-c', 'C-d']) {
          screen?.close();
          screen = new ChatScreen(binCommand('client', args), 60);
          await screen.waitForLine('Your name:', START_TIMEOUT_MS);
          screen.press(key);
          const lines = await screen.waitFor(
            (seen) => seen.some((line) => line.includes('[exit ')),
            'the exit',
          );
          expect(lines, key).toContain('Your name:');
          expect(lines, key).toContain('[exit 2]');
        }
      });
    });
  },
);
