/**
 * What framing makes of a byte stream. Complete frames travel in runs: `data` holds `count`
 * consecutive frames, each ending in LF (a CR before the LF already removed), so that the common
 * case, one socket read full of frames, is one value and one shared Buffer all the way to the peers.
 */
export type FrameEvent = FrameRun | OversizeFrame;

export interface FrameRun {
  readonly kind: 'frames';
  readonly data: Buffer;
  readonly count: number;
}

/** A frame longer than the limit was discarded up to its LF; `bytes` is how much of it was seen. */
export interface OversizeFrame {
  readonly kind: 'oversize';
  readonly bytes: number;
  readonly limit: number;
}

export type Framing = 'line' | 'chunk';

const LF = 0x0a;

/** Calls `visit` with the bounds of each frame in a run, LF excluded. No allocation. */
export function forEachFrame(data: Buffer, visit: (start: number, end: number) => void): void {
  let start = 0;
  while (start < data.length) {
    let lf = data.indexOf(LF, start);
    if (lf < 0) lf = data.length;
    visit(start, lf);
    start = lf + 1;
  }
}
