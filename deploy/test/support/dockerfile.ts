/**
 * Test support: a Dockerfile read as Docker's builder reads it: line continuations,
 * comments, global ARGs substituted into FROM, stages with their instructions, exec
 * (JSON) and shell forms.
 */

export interface Instruction {
  keyword: string;
  /** The arguments as written (continuations joined). */
  text: string;
  /** Exec form (ENTRYPOINT ["node", ...]) parsed, when the text is a JSON array. */
  exec?: string[];
  line: number;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split("\n");
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith("\\") && i + 1 < lines.length) {
      line = `${line.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!match) throw new Error(`line ${start + 1}: not an instruction: ${line}`);
    const textArgs = match[2]!.trim().replace(/\s+/g, " ");
    let exec: string[] | undefined;
    if (textArgs.startsWith("[")) {
      try {
        exec = JSON.parse(textArgs);
      } catch {
        exec = undefined;
      }
    }
    instructions.push({ keyword: match[1]!.toUpperCase(), text: textArgs, exec, line: start + 1 });
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === "ARG" && stages.length === 0) {
      const [name, value = ""] = ins.text.split("=");
      args[name!] = value;
    } else if (ins.keyword === "FROM") {
      const [image, as, name] = ins.text
        .replace(/\$\{(\w+)\}/g, (_, v) => args[v] ?? "")
        .split(" ");
      stages.push({
        name: as?.toUpperCase() === "AS" ? name! : String(stages.length),
        from: image!,
        instructions: [],
      });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
      stage.instructions.push(ins);
    }
  }
  return { args, stages };
}

export function stage(dockerfile: Dockerfile, name: string): Stage {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

/** `COPY [--from=x] a b dest` -> { from, sources, dest }. */
export function parseCopy(ins: Instruction): { from?: string; sources: string[]; dest: string } {
  const words = ins.exec ?? ins.text.split(" ");
  const from = words.find((w) => w.startsWith("--from="))?.slice("--from=".length);
  const paths = words.filter((w) => !w.startsWith("--"));
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1)! };
}

/** ENV a=b c=d (the key=value form) -> { a: "b", c: "d" }. */
export function parseEnv(ins: Instruction): Record<string, string> {
  return Object.fromEntries(
    ins.text.split(" ").map((pair) => {
      const eq = pair.indexOf("=");
      return [pair.slice(0, eq), pair.slice(eq + 1).replace(/^"(.*)"$/, "$1")];
    }),
  );
}
