import { Observable, type OperatorFunction } from 'rxjs';
import type { FrameEvent } from './frameEvent.ts';
import { FrameSplitter, type FrameSplitterOptions } from './frameSplitter.ts';

/**
 * Byte chunks → frame runs and oversize reports (see FrameSplitter). The hub's peers run the same
 * FrameSplitter and classifier fused into one observable per connection (PeerActor), to keep a
 * connection's memory small; this operator is that pipeline's composable form.
 */
export function splitFrames(options: FrameSplitterOptions): OperatorFunction<Buffer, FrameEvent> {
  return (source) =>
    new Observable<FrameEvent>((subscriber) => {
      const splitter = new FrameSplitter(options);
      const emit = (event: FrameEvent) => subscriber.next(event);
      return source.subscribe({
        next: (chunk) => splitter.push(chunk, emit),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          splitter.end();
          subscriber.complete();
        },
      });
    });
}
