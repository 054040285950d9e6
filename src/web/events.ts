/**
 * What one page's event stream has yet to send. A page that stops reading (a tab in the background, a client that
 * never reads) must not make the server keep every refresh for it: at 5,000 tasks that took rv ui from 80 to 745 MB
 * in 15 s. So one write is in flight at a time, and of what waits only the newest of each event (`snapshot`, `log`,
 * `sweep`) is kept: the page shows the newest anyway. What is the same as the last one sent is not sent again.
 */
export class EventSender {
  private readonly pending = new Map<string, string>();
  /** Per event, what was last sent (its content: a snapshot's time left out). */
  private readonly sent = new Map<string, string>();
  private writing = false;

  constructor(private readonly write: (event: string, data: string) => Promise<unknown>) {}

  send(event: string, data: string): void {
    if (this.sent.get(event) === contentOf(data)) {
      this.pending.delete(event); // what waited is older than what the page already has
      return;
    }
    this.pending.set(event, data);
    if (!this.writing) void this.flush();
  }

  private async flush(): Promise<void> {
    this.writing = true;
    for (let next = first(this.pending); next; next = first(this.pending)) {
      const [event, data] = next;
      this.pending.delete(event);
      this.sent.set(event, contentOf(data));
      await this.write(event, data).catch(() => {});
    }
    this.writing = false;
  }
}

function first(map: Map<string, string>): [string, string] | undefined {
  return map.entries().next().value;
}

/** A snapshot's JSON starts with its version and time (LiveFeed builds it so): the rest is what the page shows. */
const SNAPSHOT_TIME = /^\{"v":\d+,"at":"[^"]*",/;

function contentOf(data: string): string {
  const time = SNAPSHOT_TIME.exec(data);
  return time ? data.slice(time[0].length) : data;
}
