// The public GraphQL API, as any user reaches it: POST /graphql and graphql-transport-ws
// subscriptions on the same URL. The API key is entered once and kept in sessionStorage.
import { createClient, type Client } from "graphql-ws";

const KEY_STORAGE = "tracegraph.apiKey";
const ENDPOINT = "/graphql";

export class GraphQLError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export function apiKey(): string {
  return sessionStorage.getItem(KEY_STORAGE) ?? "";
}

export function setApiKey(key: string): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  wsClient?.dispose();
  wsClient = null;
}

function headers(): Record<string, string> {
  const key = apiKey();
  const h: Record<string, string> = { "Content-Type": "application/json" };
  if (key) h.Authorization = `Bearer ${key}`;
  return h;
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(ENDPOINT, {
    method: "POST",
    headers: headers(),
    body: JSON.stringify({ query, variables }),
  });
  let body: { data?: T; errors?: { message: string }[]; error?: { message?: string } };
  try {
    body = await res.json();
  } catch {
    throw new GraphQLError(`HTTP ${res.status}`, res.status);
  }
  if (body.errors?.length) throw new GraphQLError(body.errors[0].message, res.status);
  if (!res.ok || !body.data) {
    throw new GraphQLError(body.error?.message ?? `HTTP ${res.status}`, res.status);
  }
  return body.data;
}

let wsClient: Client | null = null;

function ws(): Client {
  if (!wsClient) {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${ENDPOINT}`;
    wsClient = createClient({
      url,
      lazy: true,
      retryAttempts: 3,
      connectionParams: () => {
        const key = apiKey();
        return key ? { Authorization: `Bearer ${key}` } : {};
      },
    });
  }
  return wsClient;
}

/** Subscribe; returns the function that stops it. */
export function subscribe<T>(
  query: string, variables: Record<string, unknown>, onData: (data: T) => void,
): () => void {
  return ws().subscribe<T>({ query, variables }, {
    next: (msg) => { if (msg.data) onData(msg.data as T); },
    error: (e) => console.warn("subscription error", e),
    complete: () => undefined,
  });
}
