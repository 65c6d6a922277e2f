/**
 * The Dockerfiles pass a Dockerfile linter (dockerfile-utils from npm, the validator
 * behind VS Code's Docker support: syntax, flags, instructions, deprecations) with no
 * error or warning, and the practices hadolint would ask for: pinned base images, no
 * ADD, `npm ci` only, exec-form ENTRYPOINT and HEALTHCHECK, a numeric non-root USER.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SERVICES } from "@shop/libs/mesh";
import { parseDockerfile } from "./support/dockerfile";

const ROOT = join(__dirname, "..", "..");
const FILES = SERVICES.map((s) => `${s.dir}/Dockerfile`);

type Validate = (
  content: string,
) => { message: string; severity?: number; range: { start: { line: number } } }[];
let validate: Validate | undefined;
try {
  validate = (require("dockerfile-utils") as { validate: Validate }).validate;
} catch {
  // Not installed yet: a devDependency of the root package.
  if (process.env.CI) throw new Error("dockerfile-utils is not installed (root devDependency)");
  console.warn(
    "deploy/test/dockerfile-lint.spec.ts: dockerfile-utils is not installed; skipping the linter",
  );
}

describe.each(FILES)("%s", (file) => {
  const text = readFileSync(join(ROOT, file), "utf8");

  (validate ? it : it.skip)("has no linter error or warning", () => {
    const problems = validate!(text).map((d) => `${file}:${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("follows the image practices", () => {
    const { args, stages } = parseDockerfile(text);
    const all = stages.flatMap((s) => s.instructions);
    const bases = stages.map((s) => s.from).filter((from) => !stages.some((s) => s.name === from));
    for (const base of bases) expect(base).toMatch(/^[\w./-]+:\d+\.\d+\.\d+-[\w-]+$/);
    expect(args.NODE_IMAGE).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    expect(all.filter((i) => i.keyword === "ADD")).toEqual([]);
    const runs = all.filter((i) => i.keyword === "RUN").map((i) => i.text);
    expect(runs.filter((r) => /\bnpm (install|i)\b/.test(r))).toEqual([]);
    expect(runs.filter((r) => /\b(sudo|apt-get|curl|wget)\b/.test(r))).toEqual([]);
    const runtime = stages.at(-1)!;
    const user = runtime.instructions.filter((i) => i.keyword === "USER").at(-1);
    expect(user?.text).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    for (const keyword of ["ENTRYPOINT", "HEALTHCHECK"]) {
      const ins = runtime.instructions.find((i) => i.keyword === keyword)!;
      expect({ keyword, exec: ins.exec !== undefined || /CMD \[/.test(ins.text) }).toEqual({
        keyword,
        exec: true,
      });
    }
    expect(runtime.instructions.find((i) => i.keyword === "ENTRYPOINT")!.exec![0]).toBe("node");
  });
});
