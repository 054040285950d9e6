import type { TaskDetail } from "../../ops/show.ts";
import type { WebAction } from "../schema.ts";

/** What the server answered instead of the data: its message and hint. */
export class ApiError extends Error {}

async function answer<T>(response: Response): Promise<T> {
  const body = await response.json();
  if (!response.ok) {
    const { message, hint } = body?.error ?? { message: response.statusText };
    throw new ApiError(hint ? `${message} (${hint})` : message);
  }
  return body as T;
}

export async function fetchTask(id: string): Promise<TaskDetail | null> {
  return (await answer<{ task: TaskDetail | null }>(await fetch(`/api/tasks/${encodeURIComponent(id)}`))).task;
}

/** The browser sends this page's Origin with the POST and its cookie: the server checks both. */
export async function act(id: string, action: WebAction["action"]): Promise<WebAction> {
  return answer(await fetch(`/api/tasks/${encodeURIComponent(id)}/${action}`, { method: "POST" }));
}
