// Server-sent events on a raw response, as OpenAI streams a transcription: `data: <json>` per
// event, no `event:` line, and the stream ends after the last event.
import type { ServerResponse } from 'node:http';

export class EventStream {
  constructor(private readonly res: ServerResponse) {}

  open(): void {
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
  }

  /** Whether the client is still there. */
  get live(): boolean {
    return !this.res.destroyed && !this.res.writableEnded;
  }

  send(event: object): void {
    if (this.live) this.res.write(`data: ${JSON.stringify(event)}\n\n`);
  }

  end(): void {
    if (this.live) this.res.end();
  }
}
