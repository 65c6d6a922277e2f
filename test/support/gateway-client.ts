/**
 * A client of the gateway's REST API for end-to-end tests: plain fetch, as curl would
 * send it, with the answer's status, parsed JSON and request id kept together, and the
 * seed's Quick Start as one function so both kinds of mesh run the same steps.
 */
import { eventually as waitFor } from "@shop/libs/testing";

export interface Answer {
  status: number;
  /** Parsed JSON body (undefined when the body is empty or not JSON). */
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body, asserted by each test
  json: any;
  text: string;
  /** The gateway's `x-request-id`: what `npm run trace -- <id>` takes. */
  requestId: string;
}

export interface CallOptions {
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export interface GatewayClient {
  call(method: string, path: string, options?: CallOptions): Promise<Answer>;
}

export function createGatewayClient(baseUrl: string): GatewayClient {
  return {
    async call(method, path, options = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          ...(options.body !== undefined ? { "Content-Type": "application/json" } : {}),
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return {
        status: response.status,
        json,
        text,
        requestId: response.headers.get("x-request-id") ?? "",
      };
    },
  };
}

/** An answer that must have `status`; otherwise the error shows what came back. */
export function expectStatus(answer: Answer, status: number): Answer {
  if (answer.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${answer.status}: ${answer.text.slice(0, 500)}`);
  }
  return answer;
}

/** The lines of a streamed (newline-delimited JSON) answer, such as WatchOrder's. */
export function ndjson(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls `check` until it yields a value (libs' `eventually`), giving up after 15 s. */
export const eventually = <T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> => waitFor(what, check, { timeoutMs, intervalMs: 100 });

export interface QuickStartResult {
  health: Answer[];
  registered: Answer;
  products: Answer;
  ordered: Answer;
}

/**
 * The README's Quick Start, verbatim: /health of the gateway and of every service,
 * register test@example.com, list the products, order two of the first one with the
 * token. Each answer is returned for the test to check.
 */
export async function runQuickStart(
  gatewayUrl: string,
  healthUrls: readonly string[],
): Promise<QuickStartResult> {
  const gateway = createGatewayClient(gatewayUrl);
  const health = await Promise.all(
    healthUrls.map((url) => createGatewayClient(url).call("GET", "/health")),
  );
  const registered = await gateway.call("POST", "/api/users/register", {
    body: { email: "test@example.com", password: "secure123" },
  });
  const products = await gateway.call("GET", "/api/products");
  const ordered = await gateway.call("POST", "/api/orders", {
    token: registered.json?.accessToken,
    body: { productId: products.json?.products?.[0]?.id, quantity: 2 },
  });
  return { health, registered, products, ordered };
}
