import { decodeSegment, encodeSegment, type SourceMapV3, trimSourceMap } from "./source-map-trim";

/** Absolute [column, source, line, sourceColumn] per generated line. */
function absolute(mappings: string): number[][][] {
  const at = [0, 0, 0];
  return mappings.split(";").map((line) => {
    let column = 0;
    return (line ? line.split(",") : []).map((segment) => {
      const [c, s, l, sc] = decodeSegment(segment);
      column += c!;
      at[0]! += s!;
      at[1]! += l!;
      at[2]! += sc!;
      return [column, ...at];
    });
  });
}

/** The v3 encoding of absolute segments (the inverse of absolute()). */
function relative(lines: number[][][]): string {
  const last = [0, 0, 0];
  return lines
    .map((line) => {
      let column = 0;
      return line
        .map(([c, s, l, sc]) => {
          const text = encodeSegment([c! - column, s! - last[0]!, l! - last[1]!, sc! - last[2]!]);
          column = c!;
          last.splice(0, 3, s!, l!, sc!);
          return text;
        })
        .join(",");
    })
    .join(";");
}

it("round-trips Base64 VLQ numbers, large and negative ones included", () => {
  const values = [0, 1, -1, 15, -16, 16, 1_000, -123_456, 2 ** 30];
  expect(decodeSegment(encodeSegment(values))).toEqual(values);
  expect(encodeSegment([0, 0, 16, 1])).toBe("AAgBC"); // as the format's examples encode it
});

it("keeps every mapping into our sources and the first third-party one of each line", () => {
  const map: SourceMapV3 = {
    version: 3,
    sources: ["../../libs/src/a.ts", "../../node_modules/pkg/index.js", "../../gateway/src/b.ts"],
    names: [],
    mappings: relative([
      [
        [0, 0, 0, 0],
        [4, 1, 10, 2],
        [9, 0, 0, 8],
      ],
      [
        [0, 1, 11, 0],
        [6, 1, 11, 6],
        [12, 1, 12, 0],
      ],
      [],
      [
        [2, 1, 20, 0],
        [5, 2, 3, 1],
        [7, 1, 20, 9],
      ],
    ]),
  };
  const trimmed = trimSourceMap(map);
  expect(absolute(trimmed.mappings)).toEqual([
    [
      [0, 0, 0, 0],
      [9, 0, 0, 8],
    ],
    [[0, 1, 11, 0]],
    [],
    [
      [2, 1, 20, 0],
      [5, 2, 3, 1],
    ],
  ]);
  expect(trimmed.sources).toEqual(map.sources);
});
