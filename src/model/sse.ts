/**
 * A server-sent events parser, pure and incremental: text goes in as it arrives, split anywhere
 * (inside a line, between the CR and LF of a CRLF), and whole events come out. Follows the
 * WHATWG event-stream rules for the fields a chat completion stream uses.
 */

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
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
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
    this.event = undefined;
  }
}
