import { map, type OperatorFunction, scan } from 'rxjs';
import { mixedScripts, nameSkeleton } from '../text/nameLooks.ts';

/** A name pinned to the Ed25519 public key (base64url, 43 characters) it signs with. */
export interface Pin {
  readonly name: string;
  readonly key: string;
}

/**
 * Who signs as whom, as this client has seen it: trust on first use, as ssh's known_hosts.
 * Names are compared by skeleton (nameLooks.ts), so a look-alike of a pinned name is that name
 * with another key.
 */
export interface PinState {
  /** By skeleton: the name as first seen, and its key. */
  readonly pins: ReadonlyMap<string, Pin>;
  /** By skeleton: the latest other key seen for a pinned name, which `/trust` would accept. */
  readonly pending: ReadonlyMap<string, Pin>;
  /** `skeleton key` pairs already warned about, and names already flagged as mixed-script. */
  readonly warned: ReadonlySet<string>;
}

export type PinEvent =
  /** A valid signature by `key` on an envelope from `name`. */
  | { readonly type: 'seen'; readonly name: string; readonly key: string }
  /** The person accepts the new key seen for `name` (`/trust name`). */
  | { readonly type: 'trust'; readonly name: string }
  /** The pins file changed (edited by hand): its pins replace ours. */
  | { readonly type: 'reload'; readonly pins: readonly Pin[] };

export type PinOutcome =
  /** Pinned now: the first key seen for this name. */
  | { readonly verdict: 'first'; readonly pin: Pin; readonly mixed?: readonly string[] }
  /** The pinned key: the name is who it was. */
  | { readonly verdict: 'pinned'; readonly pin: Pin; readonly mixed?: readonly string[] }
  /**
   * Another key than the pinned one. `warn` the first time this key is seen for this name;
   * `lookAlike` when the name is not the pinned one but looks like it.
   */
  | {
      readonly verdict: 'new-key';
      readonly pinned: Pin;
      readonly seen: Pin;
      readonly warn: boolean;
      readonly lookAlike: boolean;
    }
  | { readonly verdict: 'trusted'; readonly pin: Pin; readonly was: Pin }
  | { readonly verdict: 'nothing-to-trust'; readonly name: string; readonly pinned?: Pin }
  | { readonly verdict: 'reloaded'; readonly count: number };

export function emptyPins(pins: readonly Pin[] = []): PinState {
  return { pins: byName(pins), pending: new Map(), warned: new Set() };
}

/** The pins to save: in the order they were pinned. */
export function pinList(state: PinState): Pin[] {
  return [...state.pins.values()];
}

/** The pinned key, and the key waiting for `/trust`, of a name (as a person types it). */
export function lookUp(state: PinState, name: string): { pinned?: Pin; pending?: Pin } {
  const skeleton = nameSkeleton(name);
  const pinned = state.pins.get(skeleton);
  const pending = state.pending.get(skeleton);
  return { ...(pinned === undefined ? {} : { pinned }), ...(pending === undefined ? {} : { pending }) };
}

/** One step of the pinning state: pure, so that a marble test can drive it. */
export function pinStep(state: PinState, event: PinEvent): { state: PinState; outcome: PinOutcome } {
  switch (event.type) {
    case 'seen': {
      const skeleton = nameSkeleton(event.name);
      const seen: Pin = { name: event.name, key: event.key };
      const pinned = state.pins.get(skeleton);
      if (pinned === undefined || pinned.key === event.key) {
        // Mixed scripts are flagged once per name, however often it speaks.
        const mixed = mixedScripts(event.name);
        const flag = `mixed ${event.name}`;
        const flagNow = mixed !== undefined && !state.warned.has(flag);
        const warned = flagNow ? new Set([...state.warned, flag]) : state.warned;
        const extra = flagNow ? { mixed } : {};
        if (pinned !== undefined)
          return { state: { ...state, warned }, outcome: { verdict: 'pinned', pin: pinned, ...extra } };
        const pins = new Map(state.pins).set(skeleton, seen);
        return { state: { ...state, pins, warned }, outcome: { verdict: 'first', pin: seen, ...extra } };
      }
      const pair = `${skeleton} ${event.key}`;
      const warn = !state.warned.has(pair);
      return {
        state: {
          pins: state.pins,
          pending: new Map(state.pending).set(skeleton, seen),
          warned: warn ? new Set([...state.warned, pair]) : state.warned,
        },
        outcome: { verdict: 'new-key', pinned, seen, warn, lookAlike: pinned.name !== event.name },
      };
    }
    case 'trust': {
      const skeleton = nameSkeleton(event.name);
      const pending = state.pending.get(skeleton);
      const pinned = state.pins.get(skeleton);
      if (pending === undefined || pinned === undefined)
        return {
          state,
          outcome: {
            verdict: 'nothing-to-trust',
            name: event.name,
            ...(pinned === undefined ? {} : { pinned }),
          },
        };
      const rest = new Map(state.pending);
      rest.delete(skeleton);
      return {
        state: { ...state, pins: new Map(state.pins).set(skeleton, pending), pending: rest },
        outcome: { verdict: 'trusted', pin: pending, was: pinned },
      };
    }
    case 'reload': {
      const pins = byName(event.pins);
      // A pending key that the edit pinned is pending no more.
      const pending = new Map(
        [...state.pending].filter(([skeleton, pin]) => pins.get(skeleton)?.key !== pin.key),
      );
      return { state: { ...state, pins, pending }, outcome: { verdict: 'reloaded', count: pins.size } };
    }
  }
}

/** The pinning state as an operator: events in, outcomes out, the state held in `scan`. */
export function pinning(initial: PinState = emptyPins()): OperatorFunction<PinEvent, PinOutcome> {
  type Step = { state: PinState; outcome?: PinOutcome };
  return (events) =>
    events.pipe(
      scan((last: Step, event: PinEvent): Step => pinStep(last.state, event), { state: initial }),
      map((step) => step.outcome!),
    );
}

function byName(pins: readonly Pin[]): Map<string, Pin> {
  const map = new Map<string, Pin>();
  // The first line for a name wins, as the file reader reports later ones.
  for (const pin of pins) {
    const skeleton = nameSkeleton(pin.name);
    if (!map.has(skeleton)) map.set(skeleton, pin);
  }
  return map;
}
