import { nameSchema } from '../protocol/envelope.ts';
import { displayText } from '../text/displayText.ts';
import { invisibleIn } from '../text/nameLooks.ts';

/** What a typed line asks for. Lines that start with `/` are commands and never sent as text. */
export type Typed =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'me'; readonly text: string }
  | { readonly kind: 'nick'; readonly name: string }
  | { readonly kind: 'who' }
  | { readonly kind: 'whois'; readonly name: string }
  | { readonly kind: 'trust'; readonly name: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'error'; readonly line: string };

/** The commands, as `/help` lists them. */
export const HELP_LINES = [
  '* commands:',
  '*   /who            who is online',
  '*   /me waves       says "* alice waves"',
  '*   /nick newname   changes your name (the others are told)',
  "*   /whois bob      bob's key fingerprint, to compare with bob out of band",
  '*   /trust bob      accepts the new key bob signs with (after a warning)',
  '*   /quit           leaves (as Ctrl-D does)',
  '*   /help           this list',
  '*   //text          sends "/text" (a line that starts with /)',
] as const;

export function parseTyped(line: string): Typed {
  if (line.trim() === '') return { kind: 'nothing' };
  if (line.startsWith('//')) return { kind: 'say', text: line.slice(1) };
  if (!line.startsWith('/')) return { kind: 'say', text: line };
  const [, word = '', rest = ''] = /^\/(\S*)\s*(.*)$/s.exec(line) ?? [];
  switch (word) {
    case 'help':
      return { kind: 'help' };
    case 'who':
      return { kind: 'who' };
    case 'quit':
      return { kind: 'quit' };
    case 'whois':
    case 'trust': {
      const name = rest.trim();
      if (name === '') return { kind: 'error', line: `! /${word} needs a name, e.g. /${word} bob` };
      return { kind: word, name };
    }
    case 'me':
      return rest.trim() === ''
        ? { kind: 'error', line: '! /me needs an action, e.g. /me waves' }
        : { kind: 'me', text: rest };
    case 'nick': {
      if (rest.trim() === '') return { kind: 'error', line: '! /nick needs a name, e.g. /nick bob' };
      const name = nameSchema.safeParse(rest);
      if (!name.success)
        return { kind: 'error', line: `! not a name: ${name.error.issues[0]?.message ?? 'invalid'}` };
      // The others refuse a signed name that hides characters (signedNames.ts): say so here.
      const hidden = invisibleIn(name.data);
      return hidden === undefined
        ? { kind: 'nick', name: name.data }
        : { kind: 'error', line: `! not a name: it holds an invisible character (${hidden})` };
    }
    default:
      return {
        kind: 'error',
        line: `! unknown command /${displayText(word.slice(0, 32))}, not sent (/help lists the commands; //text sends a line that starts with /)`,
      };
  }
}
