/**
 * A seeded mutation fuzzer over the gateway's REST routes: each request is a valid one
 * (a seed) with one to three mutations drawn from the hostile values (a field's value
 * or type, a dropped or unknown field, a raw body, a path parameter, a query parameter
 * set, repeated or unknown, a header, the token). The oracle: no 5xx other than 503 and
 * 504, every error a JSON Status, every request answered.
 */
import {
  HOSTILE_BODIES,
  HOSTILE_HEADERS,
  HOSTILE_TEXT,
  HOSTILE_VALUES,
  type Random,
} from "./fuzz-values";

/** A valid request, the starting point of mutations. */
export interface FuzzSeed {
  method: string;
  /** With {name} placeholders, filled from params. */
  template: string;
  params?: Record<string, string>;
  query?: [string, string][];
  body?: Record<string, unknown>;
  token?: string;
}

interface FuzzRequest {
  method: string;
  template: string;
  /** Already URL-encoded. */
  params: Record<string, string>;
  query: [string, string][];
  body: Record<string, unknown> | undefined;
  rawBody: string | Uint8Array | undefined;
  headers: Record<string, string>;
  token: string | undefined;
  mutations: string[];
}

export interface FuzzOutcome {
  status: number;
  jsonStatus: boolean;
  request: string;
  mutations: string[];
  /** The request had a NUL (raw or %00) somewhere. */
  hasNul: boolean;
  text: string;
}

type Mutator = (req: FuzzRequest, r: Random, tokens: readonly string[]) => void;

const MUTATORS: Record<string, Mutator> = {
  "field value": (req, r) => {
    const keys = Object.keys(req.body ?? {});
    if (!req.body || keys.length === 0) return;
    req.body[r.pick(keys)] = r.pick(HOSTILE_VALUES);
  },
  "nested field value": (req, r) => {
    const nested = Object.values(req.body ?? {}).filter(
      (v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v),
    );
    if (nested.length === 0) return;
    const target = r.pick(nested);
    const keys = Object.keys(target);
    if (keys.length > 0) target[r.pick(keys)] = r.pick(HOSTILE_VALUES);
  },
  "field dropped": (req, r) => {
    const keys = Object.keys(req.body ?? {});
    if (req.body && keys.length > 0) delete req.body[r.pick(keys)];
  },
  "unknown field": (req, r) => {
    req.body = {
      ...(req.body ?? {}),
      [r.pick(["role", "userId", "id", "zzz", "__proto__", "status"])]: r.pick(HOSTILE_VALUES),
    };
  },
  "raw body": (req, r) => {
    req.rawBody = r.pick(HOSTILE_BODIES);
  },
  "path parameter": (req, r) => {
    const keys = Object.keys(req.params);
    if (keys.length > 0) req.params[r.pick(keys)] = r.pick(HOSTILE_TEXT);
  },
  "query parameter": (req, r) => {
    const names = [
      ...req.query.map(([k]) => k),
      "pageSize",
      "pageToken",
      "query",
      "filter.category",
      "filter.tags",
      "filter.minPriceMinor",
      "userId",
      "zzz",
    ];
    req.query.push([r.pick(names), r.pick(HOSTILE_TEXT)]);
  },
  "query repeated": (req, r) => {
    if (req.query.length > 0) req.query.push(r.pick(req.query));
  },
  header: (req, r) => {
    const [name, value] = r.pick(HOSTILE_HEADERS);
    req.headers[name] = value;
  },
  token: (req, r, tokens) => {
    req.token = r.next() < 0.3 ? undefined : r.pick([...tokens, "garbage", `${tokens[0]}x`]);
  },
  method: (req, r) => {
    req.method = r.pick(["GET", "POST", "PATCH", "DELETE", "PUT"]);
  },
};

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

export function mutate(seed: FuzzSeed, r: Random, tokens: readonly string[]): FuzzRequest {
  const req: FuzzRequest = {
    method: seed.method,
    template: seed.template,
    params: Object.fromEntries(
      Object.entries(seed.params ?? {}).map(([k, v]) => [k, encodeURIComponent(v)]),
    ),
    query: (seed.query ?? []).map(([k, v]) => [k, encodeURIComponent(v)]),
    body: clone(seed.body),
    rawBody: undefined,
    headers: {},
    token: seed.token,
    mutations: [],
  };
  const names = Object.keys(MUTATORS);
  for (let n = 1 + r.int(3); n > 0; n--) {
    const name = r.pick(names);
    MUTATORS[name]!(req, r, tokens);
    req.mutations.push(name);
  }
  return req;
}

function pathOf(req: FuzzRequest): string {
  const path = req.template.replace(/\{([^}]+)\}/g, (_, name: string) => req.params[name] ?? "");
  const query = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join("&");
  return query ? `${path}?${query}` : path;
}

const hasNulIn = (text: string) =>
  text.includes("\u0000") || /%00/i.test(text) || text.includes("\\u0000");

export async function send(baseUrl: string, req: FuzzRequest): Promise<FuzzOutcome> {
  const path = pathOf(req);
  const headers: Record<string, string> = { ...req.headers };
  if (req.token) headers.authorization ??= `Bearer ${req.token}`;
  let body: string | Uint8Array | undefined = req.rawBody;
  if (
    body === undefined &&
    req.body !== undefined &&
    req.method !== "GET" &&
    req.method !== "DELETE"
  ) {
    body = JSON.stringify(req.body);
  }
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const summary = `${req.method} ${path.slice(0, 160)} ${
    typeof body === "string" ? body.slice(0, 160) : body ? `<${body.length} bytes>` : ""
  }`;
  const hasNul = hasNulIn(path) || (typeof body === "string" && hasNulIn(body));
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method: req.method,
      headers,
      ...(body !== undefined && req.method !== "GET" ? { body } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let jsonStatus = false;
    try {
      const json = JSON.parse(text) as { code?: unknown; error?: { code?: unknown } };
      jsonStatus = typeof json.code === "number" || typeof json.error?.code === "number";
    } catch {
      jsonStatus = false;
    }
    return {
      status: response.status,
      jsonStatus,
      request: summary,
      mutations: req.mutations,
      hasNul,
      text: text.slice(0, 300),
    };
  } catch (error) {
    const name = (error as Error).name;
    return {
      status: name === "TimeoutError" ? -1 : 0,
      jsonStatus: false,
      request: summary,
      mutations: req.mutations,
      hasNul,
      text: (error as Error).message,
    };
  }
}

/** Sends `count` mutated requests, `concurrency` at a time; resolves every outcome. */
export async function fuzz(options: {
  baseUrl: string;
  seeds: readonly FuzzSeed[];
  tokens: readonly string[];
  random: Random;
  count: number;
  concurrency: number;
}): Promise<FuzzOutcome[]> {
  // Drawn up front, so the requests do not depend on the order answers arrive in.
  const requests = Array.from({ length: options.count }, () =>
    mutate(options.random.pick(options.seeds), options.random, options.tokens),
  );
  const outcomes: FuzzOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      outcomes.push(await send(options.baseUrl, req));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return outcomes;
}
