/**
 * Thins a bundle's source map down to what a stack trace needs: every mapping into the
 * repository's own sources, and for code from node_modules only the first mapping of
 * each generated line (its file and line; columns there are approximate).
 *
 * Why: with `--enable-source-maps`, the first error whose stack has a frame in the
 * bundle makes node parse the whole map, and keep it: for the gateway's bundle (1.8 MB
 * of mappings, three quarters of them third-party) that was ~200 ms of CPU and ~30 MB
 * of heap, paid by the readiness probe's first failed health check (bench/README.md,
 * mesh-cold-start). A line keeps a mapping so that node, which looks up the nearest
 * mapping at or before a position, never attributes third-party code to the line of
 * ours before it.
 */

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DIGIT = new Map([...BASE64].map((c, i) => [c, i]));

/** The numbers of one segment (Base64 VLQ, as in the source map v3 format). */
export function decodeSegment(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a Base64 VLQ digit: ${char}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value % 2 ? -(value - 1) / 2 : value / 2);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

export function encodeSegment(values: readonly number[]): string {
  let text = "";
  for (const number of values) {
    let value = number < 0 ? -number * 2 + 1 : number * 2;
    do {
      let digit = value % 32;
      value = Math.floor(value / 32);
      if (value > 0) digit |= 32;
      text += BASE64[digit];
    } while (value > 0);
  }
  return text;
}

export interface SourceMapV3 {
  version: number;
  sources: string[];
  mappings: string;
  names?: string[];
  [key: string]: unknown;
}

/** `map` with only the mappings described above; `own` says which sources are ours. */
export function trimSourceMap(
  map: SourceMapV3,
  own: (source: string) => boolean = (source) => !source.includes("node_modules/"),
): SourceMapV3 {
  const ours = map.sources.map(own);
  // Absolute values while reading, and the last ones written (fields are deltas).
  const read = { source: 0, line: 0, column: 0, name: 0 };
  const written = { source: 0, line: 0, column: 0, name: 0 };
  const lines = map.mappings.split(";").map((line) => {
    let column = 0;
    let writtenColumn = 0;
    const kept: string[] = [];
    for (const segment of line ? line.split(",") : []) {
      const fields = decodeSegment(segment);
      column += fields[0]!;
      if (fields.length < 4) continue; // a generated position without a source
      read.source += fields[1]!;
      read.line += fields[2]!;
      read.column += fields[3]!;
      if (fields.length > 4) read.name += fields[4]!;
      if (!ours[read.source] && kept.length > 0) continue;
      const out = [
        column - writtenColumn,
        read.source - written.source,
        read.line - written.line,
        read.column - written.column,
      ];
      if (fields.length > 4) {
        out.push(read.name - written.name);
        written.name = read.name;
      }
      writtenColumn = column;
      written.source = read.source;
      written.line = read.line;
      written.column = read.column;
      kept.push(encodeSegment(out));
    }
    return kept.join(",");
  });
  return { ...map, mappings: lines.join(";") };
}
