import type { NotifyEvent } from "./event.ts";
import type { WebhookFormat } from "./settings.ts";

/** One webhook POST: its headers and body. */
export interface WebhookRequest {
  headers: Record<string, string>;
  body: string;
}

/** ntfy shows these tags as emoji before the title (docs.ntfy.sh, "Tags & emojis"). */
const NTFY_TAGS: Record<NotifyEvent["type"], string> = {
  "task-failed": "x",
  "sweep-done": "checkered_flag",
  "lease-started": "rocket",
  "lease-ended": "stop_sign",
  "lease-idle": "zzz",
  test: "bell",
};

/**
 * The POST for each format. `slack`: `{"text": ...}` (Slack's incoming webhooks, and the many services that
 * copy them). `ntfy`: the text as a plain body, the title and tags as headers, as ntfy's publish API takes them.
 * `json`: the event itself.
 */
export function webhookRequest(format: WebhookFormat, event: NotifyEvent): WebhookRequest {
  switch (format) {
    case "slack":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify({ text: `rv: ${event.text}` }) };
    case "ntfy": {
      const failed = event.type === "task-failed" || (event.failed ?? 0) > 0 || event.ended === "failed";
      const tags = [
        NTFY_TAGS[event.type],
        ...(event.type === "sweep-done" && (event.failed ?? 0) > 0 ? ["warning"] : []),
      ];
      return {
        headers: {
          "content-type": "text/plain; charset=utf-8",
          title: headerValue(event.title),
          tags: tags.join(","),
          ...(failed && { priority: "high" }),
        },
        body: event.text,
      };
    }
    case "json":
      return { headers: { "content-type": "application/json" }, body: JSON.stringify(event) };
  }
}

/**
 * An HTTP header carries Latin-1 and no line breaks: other text goes as an RFC 2047 encoded word, which ntfy
 * decodes (2.4.0 and later); fetch would refuse it raw.
 */
export function headerValue(text: string): string {
  const line = text.replace(/[\r\n]+/g, " ");
  if (/^[\x20-\x7e]*$/.test(line)) return line;
  return `=?UTF-8?B?${Buffer.from(line, "utf8").toString("base64")}?=`;
}
