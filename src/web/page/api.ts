import type { TaskDetail } from "../../ops/show.ts";
import type { WebCluster, WebLeaseAction, WebLeaseGpus, WebLeaseShow } from "../leases.ts";
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

export async function fetchLease(place: string, id: string): Promise<WebLeaseShow> {
  return answer(await fetch(`/api/leases/${encodeURIComponent(place)}/${encodeURIComponent(id)}`));
}

export async function fetchLeaseGpus(place: string, id: string): Promise<WebLeaseGpus> {
  return answer(await fetch(`/api/leases/${encodeURIComponent(place)}/${encodeURIComponent(id)}/gpus`));
}

export async function fetchCluster(): Promise<WebCluster> {
  return answer(await fetch("/api/cluster"));
}

/** Release a lease (`now`: its running tasks are stopped) or submit a command line to it. */
export async function actOnLease(
  place: string,
  id: string,
  action: WebLeaseAction["action"],
  body: object,
): Promise<WebLeaseAction> {
  const url = `/api/leases/${encodeURIComponent(place)}/${encodeURIComponent(id)}/${action}`;
  const headers = { "Content-Type": "application/json" };
  return answer(await fetch(url, { method: "POST", headers, body: JSON.stringify(body) }));
}
