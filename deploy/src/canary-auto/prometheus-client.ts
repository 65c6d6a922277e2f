/**
 * The part of Prometheus's HTTP API canary-auto uses: instant queries
 * (`GET /api/v1/query`) whose answer is one number.
 */

export interface PrometheusClient {
  /** The value of a query that yields one sample; undefined when it yields none or NaN. */
  scalar(query: string): Promise<number | undefined>;
}

export class PrometheusError extends Error {}

interface QueryResponse {
  status: "success" | "error";
  errorType?: string;
  error?: string;
  data?: {
    resultType: "vector" | "scalar" | "matrix" | "string";
    result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
  };
}

export function createPrometheusClient(baseUrl: string, timeoutMs = 10_000): PrometheusClient {
  const base = baseUrl.replace(/\/+$/, "");
  return {
    async scalar(query) {
      const url = `${base}/api/v1/query?query=${encodeURIComponent(query)}`;
      let response: Response;
      try {
        response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      } catch (error) {
        throw new PrometheusError(
          `Prometheus at ${base} is unreachable: ${(error as Error).message}`,
        );
      }
      const body = (await response.json().catch(() => undefined)) as QueryResponse | undefined;
      if (body?.status !== "success" || !body.data) {
        throw new PrometheusError(
          `Prometheus refused the query (HTTP ${response.status}${body?.errorType ? `, ${body.errorType}` : ""}): ${body?.error ?? "no body"}\n  ${query}`,
        );
      }
      return sampleOf(body.data);
    },
  };
}

function sampleOf(data: NonNullable<QueryResponse["data"]>): number | undefined {
  let text: string | undefined;
  if (data.resultType === "scalar") text = (data.result as [number, string])[1];
  else if (data.resultType === "vector") {
    const result = data.result as { value: [number, string] }[];
    if (result.length > 1)
      throw new PrometheusError(`expected one series, got ${result.length}: sum the query`);
    text = result[0]?.value[1];
  } else throw new PrometheusError(`expected a vector or scalar, got a ${data.resultType}`);
  if (text === undefined) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}
