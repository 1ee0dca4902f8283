import type { HubEvent, PeerId } from '../../src/streams/hubEvent.ts';
import { classifyFrameEvent } from '../../src/streams/classifyFrames.ts';
import { type FrameRun, forEachFrame } from '../../src/streams/frameEvent.ts';
import { FrameSplitter } from '../../src/streams/frameSplitter.ts';

/** The frames of a run as separate Buffers (views, not copies), LF excluded: for assertions. */
export function framesOf(run: FrameRun): Buffer[] {
  const frames: Buffer[] = [];
  forEachFrame(run.data, (start, end) => frames.push(run.data.subarray(start, end)));
  return frames;
}

/**
 * What the hub makes of one peer's bytes, read in these chunks: the same FrameSplitter and
 * classifier that PeerActor runs on a socket's reads, without the socket.
 */
export function hubEventsOf(chunks: readonly Buffer[], maxFrameBytes: number, peer: PeerId = 1): HubEvent[] {
  const events: HubEvent[] = [];
  const sink = { next: (event: HubEvent) => events.push(event) };
  const splitter = new FrameSplitter({ maxFrameBytes });
  for (const chunk of chunks) splitter.push(chunk, (event) => classifyFrameEvent(peer, event, sink));
  splitter.end();
  return events;
}
