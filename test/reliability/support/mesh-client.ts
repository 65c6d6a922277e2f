/**
 * Talking to the mesh the way a client does: JSON over the gateway's REST API with a
 * timeout on every request, and accounts registered with passwords of their own.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { TestMesh } from "../../support/test-mesh";
import type { SecretLedger } from "./secret-scan";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined. */
  json: Record<string, unknown> | undefined;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding) when a string or bytes. */
  rawBody?: string | Uint8Array;
  token?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 20_000),
  });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The `id` of the object under `key` in an answer's JSON ("" when absent). */
export function idOf(answer: Answer, key: string): string {
  const value = answer.json?.[key] as { id?: unknown } | undefined;
  return typeof value?.id === "string" ? value.id : "";
}

export interface Account {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** A password nobody else uses, so the secret scan can look for it. */
export function uniquePassword(): string {
  return `Pw-${randomBytes(9).toString("base64url")}`;
}

export async function register(
  mesh: TestMesh,
  options: { clientIp?: string; name?: string; secrets?: SecretLedger } = {},
): Promise<Account> {
  const email = `rel-${randomUUID().slice(0, 12)}@example.com`;
  const password = uniquePassword();
  const answer = await call(mesh.gatewayUrl, "POST", "/api/users/register", {
    body: { email, password, ...(options.name ? { name: options.name } : {}) },
    headers: options.clientIp ? { "x-forwarded-for": options.clientIp } : {},
  });
  if (answer.status !== 200) throw new Error(`register: ${answer.status} ${answer.text}`);
  const json = answer.json as {
    user: { id: string };
    accessToken: string;
    refreshToken: string;
  };
  options.secrets?.add(
    "password, access or refresh token",
    password,
    json.accessToken,
    json.refreshToken,
  );
  return {
    id: json.user.id,
    email,
    password,
    accessToken: json.accessToken,
    refreshToken: json.refreshToken,
  };
}

/** The first `count` products of the demo catalog. */
export async function productIds(mesh: TestMesh, count: number): Promise<string[]> {
  const answer = await call(mesh.gatewayUrl, "GET", `/api/products?pageSize=${count}`);
  const products = (answer.json?.products ?? []) as { id: string }[];
  if (products.length < count) throw new Error(`only ${products.length} products listed`);
  return products.map((p) => p.id);
}

/** Every process answers /health and /ready with 200 (polled for up to `timeoutMs`). */
export async function unhealthyProcesses(mesh: TestMesh, timeoutMs = 30_000): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  let failing: string[] = [];
  do {
    failing = [];
    for (const [name, { http }] of Object.entries(mesh.ports)) {
      for (const path of ["/health", "/ready"]) {
        const status = await fetch(`http://127.0.0.1:${http}${path}`, {
          signal: AbortSignal.timeout(2_000),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status !== 200) failing.push(`${name}${path} ${status}`);
      }
    }
    if (failing.length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 250));
  } while (Date.now() < until);
  return failing;
}
