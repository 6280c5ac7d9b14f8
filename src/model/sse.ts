/**
 * A server-sent events parser, pure and incremental: text goes in as it arrives, split anywhere
 * (inside a line, between the CR and LF of a CRLF), and whole events come out. Follows the
 * WHATWG event-stream rules for the fields a chat completion stream uses.
 */

/** The most one line or one event may hold (1 MiB of characters): a stream cannot fill memory. */
export const MAX_SSE_EVENT_CHARS = 1024 * 1024;

/** A line or event passed the cap: the stream is not read further. */
export class SseTooLargeError extends Error {
  constructor(readonly maxChars: number) {
    super(
      `a server-sent event passed ${maxChars === MAX_SSE_EVENT_CHARS ? '1 MiB' : `${String(maxChars)} characters`}, the most the action reads of one line or event (so that a stream cannot fill the runner's memory); the stream was stopped there`,
    );
  }
}

/** One dispatched event: its `data` lines joined by LF, and its `event` name if one was given. */
export interface SseEvent {
  data: string;
  event?: string;
}

/** Parses an event stream fed in pieces; `push` and `end` return the events completed so far. */
export class SseParser {
  /** Text of the line not ended yet. */
  private partial = '';
  /** The last piece ended in CR: an LF starting the next piece belongs to that line break. */
  private afterCr = false;
  private data: string[] = [];
  private event: string | undefined;
  private dataChars = 0;

  /** `maxChars`: the most one line or event may hold; past it, `push` throws SseTooLargeError. */
  constructor(private readonly maxChars = MAX_SSE_EVENT_CHARS) {}

  /** Feeds the next piece of the stream. */
  push(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let start = 0;
    if (this.afterCr && text.startsWith('\n')) start = 1;
    this.afterCr = false;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 0x0a && c !== 0x0d) continue;
      this.line(this.partial + text.slice(start, i), events);
      this.partial = '';
      if (c === 0x0d) {
        if (i + 1 === text.length) this.afterCr = true;
        else if (text.charCodeAt(i + 1) === 0x0a) i++;
      }
      start = i + 1;
    }
    this.partial += text.slice(start);
    if (this.partial.length > this.maxChars) throw new SseTooLargeError(this.maxChars);
    return events;
  }

  /**
   * The stream ended. An event not closed by a blank line is still returned: servers that drop
   * the connection after their last `data:` line mean it, and whether the stream was complete
   * is judged from its content (finish chunk, `[DONE]`), not from its framing.
   */
  end(): SseEvent[] {
    const events: SseEvent[] = [];
    if (this.partial !== '') this.line(this.partial, events);
    this.partial = '';
    this.afterCr = false;
    this.dispatch(events);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length > this.maxChars) throw new SseTooLargeError(this.maxChars);
    if (line === '') {
      this.dispatch(events);
      return;
    }
    // A comment, e.g. the `: ping` keep-alives some servers send.
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataChars += value.length + 1;
      if (this.dataChars > this.maxChars) throw new SseTooLargeError(this.maxChars);
      this.data.push(value);
    } else if (field === 'event') this.event = value;
    // `id` and `retry` matter to reconnecting clients only; unknown fields are ignored.
  }

  private dispatch(events: SseEvent[]): void {
    if (this.data.length > 0) {
      events.push({
        data: this.data.join('\n'),
        ...(this.event === undefined ? {} : { event: this.event }),
      });
    }
    this.data = [];
    this.dataChars = 0;
    this.event = undefined;
  }
}
