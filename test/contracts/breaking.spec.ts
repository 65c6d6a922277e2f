/**
 * `buf breaking` against the committed baseline image catches a deleted field. The
 * check runs on a copy of the contracts so the working tree is never touched.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const BUF = join(ROOT, "node_modules", ".bin", "buf");
const BASELINE = join(ROOT, "proto", "baseline.binpb");

function copyContracts(): string {
  const dir = mkdtempSync(join(tmpdir(), "contracts-"));
  for (const entry of ["proto", "third_party", "buf.yaml"]) {
    cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

function breaking(dir: string): { ok: boolean; output: string } {
  try {
    execFileSync(BUF, ["breaking", "proto", "--against", BASELINE], { cwd: dir, stdio: "pipe" });
    return { ok: true, output: "" };
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("buf breaking against proto/baseline.binpb", () => {
  let dir: string;
  beforeEach(() => {
    dir = copyContracts();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("passes for the committed contracts", () => {
    expect(breaking(dir)).toEqual({ ok: true, output: "" });
  });

  it("passes for an added field", () => {
    const file = join(dir, "proto/shop/order/v1/order.proto");
    const text = readFileSync(file, "utf8");
    writeFileSync(
      file,
      text.replace("message GetOrderRequest {", "message GetOrderRequest {\n  string note = 99;"),
    );
    expect(breaking(dir).ok).toBe(true);
  });

  it("fails when a field is deleted", () => {
    const file = join(dir, "proto/shop/order/v1/order.proto");
    const text = readFileSync(file, "utf8");
    const edited = text.replace("  string payment_token = 4;\n", "");
    expect(edited).not.toBe(text);
    writeFileSync(file, edited);
    const result = breaking(dir);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/deleted field "4" with name "payment_token"|payment_token/i);
  });
});
