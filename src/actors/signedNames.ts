import { identityFingerprint, shortFingerprint, type Signer } from '../crypto/identity.ts';
import type { Envelope } from '../protocol/envelope.ts';
import { checkSignature, type Verifier } from '../protocol/signedEnvelope.ts';
import { displayText } from '../text/displayText.ts';
import { invisibleIn } from '../text/nameLooks.ts';
import type { ClientOutput } from './clientOutput.ts';
import { emptyPins, lookUp, type Pin, type PinOutcome, type PinState, pinStep } from './pinnedNames.ts';

/** The mark before the name of an unsigned line: as IRC's `~` before an ident nobody vouched for. */
export const UNSIGNED_MARK = '~';

export interface SignedNamesOptions {
  readonly verify: Verifier;
  /** Names pinned so far (from the pins file); without it nothing is pinned nor marked. */
  readonly pins?: PinState;
}

/** What to do with a decrypted envelope: show it (its `from` now as it is to be shown), or not. */
export type Identified =
  | { readonly show: Envelope; readonly notes: readonly ClientOutput[] }
  | { readonly show?: undefined; readonly notes: readonly ClientOutput[] };

/**
 * Who said it: checks each envelope's signature and holds the pinning state, and says how its
 * sender is to be shown. A signed line from the pinned key shows its name as it is; an unsigned
 * one is marked `~`; one from another key than the pinned one is marked with that key, after one
 * loud warning. A bad signature, a signed envelope lifted from another time, or a name with
 * invisible characters is never shown. Without pins (tests of other things, and the actor used
 * without identities) signatures are still checked but nothing is marked.
 */
export class SignedNames {
  private state: PinState;
  private readonly marks: boolean;
  private readonly verify: Verifier;

  constructor(options: SignedNamesOptions) {
    this.verify = options.verify;
    this.marks = options.pins !== undefined;
    this.state = options.pins ?? emptyPins();
  }

  /** An envelope just decrypted with the key whose room is `room`, from a token of `issuedAt`. */
  identify(envelope: Envelope, room: Buffer, issuedAt: number): Identified {
    const signature = checkSignature(envelope, room, issuedAt, this.verify);
    const claimed = displayText(envelope.from);
    if (!signature.ok) {
      if (signature.code === 'unsigned')
        return {
          show: this.marks ? { ...envelope, from: `${UNSIGNED_MARK}${envelope.from}` } : envelope,
          notes: [],
        };
      return {
        notes: [warn(signature.code, `! a message signed as "${claimed}" was not shown: ${signature.why}`)],
      };
    }
    const hidden = invisibleIn(envelope.from);
    if (hidden !== undefined || envelope.from.startsWith(UNSIGNED_MARK) || envelope.from === '?')
      return {
        notes: [
          warn(
            'identity',
            hidden === undefined
              ? `! a message signed as "${claimed}" was not shown: a signed name cannot start with ${UNSIGNED_MARK} or be ?, which mark unsigned lines`
              : `! a message signed as "${claimed}" was not shown: a name cannot hold invisible characters (${hidden})`,
          ),
        ],
      };
    if (!this.marks) return { show: envelope, notes: [] };
    const outcome = this.step({ type: 'seen', name: envelope.from, key: envelope.key! });
    return { show: { ...envelope, from: this.label(outcome, envelope.from) }, notes: this.notes(outcome) };
  }

  /** We sign as `name` with `signer`: pinned like anyone else, so that others using it stand out. */
  self(name: string, signer: Signer): ClientOutput[] {
    if (!this.marks) return [];
    const outcome = this.step({ type: 'seen', name, key: signer.publicKey.toString('base64url') });
    if (outcome.verdict === 'first') return [{ type: 'pin', pin: outcome.pin }];
    if (outcome.verdict !== 'new-key' || !outcome.warn) return [];
    const pinned = displayText(outcome.pinned.name);
    return [
      warn(
        'identity',
        `! "${pinned}" is pinned here to another key than yours (${shortFingerprint(keyBytes(outcome.pinned))}): someone else signed as ${pinned} before; /whois ${pinned}`,
      ),
    ];
  }

  /** `/trust name`. */
  trust(name: string): ClientOutput[] {
    if (!this.marks) return [notice('* names are not pinned in this client')];
    const outcome = this.step({ type: 'trust', name });
    const shown = displayText(name);
    if (outcome.verdict === 'trusted')
      return [
        { type: 'pin', pin: outcome.pin },
        notice(
          `* trusted ${displayText(outcome.pin.name)}'s new key ${identityFingerprint(keyBytes(outcome.pin))} (was ${identityFingerprint(keyBytes(outcome.was))}); its lines are no longer marked`,
        ),
      ];
    return [
      {
        type: 'warn',
        kind: 'command',
        line:
          outcome.verdict === 'nothing-to-trust' && outcome.pinned !== undefined
            ? `! nothing to trust: ${shown} signs with the key pinned for it (/whois ${shown})`
            : `! nothing to trust: no key is known for ${shown} (a name is pinned when it first signs a message)`,
      },
    ];
  }

  /** `/whois name`: the fingerprints, to read out to the person by another channel. */
  whois(name: string, self?: { name: string; signer?: Signer }): ClientOutput[] {
    const shown = displayText(name);
    const lines: ClientOutput[] = [];
    const { pinned, pending } = lookUp(this.state, name);
    if (self !== undefined && self.name === name) {
      lines.push(
        notice(
          self.signer === undefined
            ? `* ${shown} (you): no identity key, your lines go out unsigned`
            : `* ${shown} (you): ${identityFingerprint(self.signer.publicKey)}`,
        ),
      );
      return lines;
    }
    if (pinned === undefined)
      return [notice(`* no key known for ${shown} (a name is pinned when it first signs a message)`)];
    lines.push(
      notice(
        `* ${displayText(pinned.name)}: ${identityFingerprint(keyBytes(pinned))} (pinned; ask them for their /whois by another channel and compare)`,
      ),
    );
    if (pending !== undefined)
      lines.push(
        notice(
          `* ${displayText(pending.name)} also signed with ${identityFingerprint(keyBytes(pending))}, not trusted (/trust ${displayText(pinned.name)} accepts it)`,
        ),
      );
    return lines;
  }

  /** The pins file was edited: its pins are ours now. */
  reload(pins: readonly Pin[]): void {
    this.step({ type: 'reload', pins });
  }

  private step(event: Parameters<typeof pinStep>[1]): PinOutcome {
    const { state, outcome } = pinStep(this.state, event);
    this.state = state;
    return outcome;
  }

  private label(outcome: PinOutcome, name: string): string {
    if (outcome.verdict !== 'new-key') return name;
    const short = shortFingerprint(keyBytes(outcome.seen));
    return outcome.lookAlike
      ? `${name} (looks like ${outcome.pinned.name}, key ${short})`
      : `${name} (new key ${short})`;
  }

  private notes(outcome: PinOutcome): ClientOutput[] {
    const notes: ClientOutput[] = [];
    if (outcome.verdict === 'first') notes.push({ type: 'pin', pin: outcome.pin });
    if ((outcome.verdict === 'first' || outcome.verdict === 'pinned') && outcome.mixed !== undefined) {
      const name = displayText(outcome.pin.name);
      notes.push(
        warn(
          'identity',
          `! "${name}" mixes ${outcome.mixed.join(' and ')} letters, as look-alike names do: check who it is (/whois ${name})`,
        ),
      );
    }
    if (outcome.verdict === 'new-key' && outcome.warn) {
      const seen = displayText(outcome.seen.name);
      const pinned = displayText(outcome.pinned.name);
      const hint = `(/whois ${pinned} compares keys; /trust ${pinned} accepts it)`;
      notes.push(
        warn(
          'identity',
          outcome.lookAlike
            ? `! "${seen}" looks like "${pinned}" but signs with another key: this may not be ${pinned} ${hint}`
            : `! "${seen}" is signing with a new key: this may not be ${pinned} ${hint}`,
        ),
      );
    }
    return notes;
  }
}

function keyBytes(pin: Pin): Buffer {
  return Buffer.from(pin.key, 'base64url');
}

function warn(kind: 'identity' | 'bad-signature' | 'lifted', line: string): ClientOutput {
  return { type: 'warn', kind: kind === 'identity' ? 'identity' : `signature:${kind}`, line };
}

function notice(line: string): ClientOutput {
  return { type: 'show', line };
}
