/** `govern schema`: writes .repo/policy.schema.json, the schema editors and govern use. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SCHEMA_FILE } from "../check/drift";
import { policySchemaText } from "../policy/schema";
import type { Command } from "./command";

export const schemaCommand: Command = {
  name: "schema",
  usage: "govern schema",
  summary: `write ${SCHEMA_FILE} for editors (\`# yaml-language-server: $schema=...\`)`,
  async run(ctx) {
    writeFileSync(join(ctx.root, SCHEMA_FILE), policySchemaText());
    ctx.out(`wrote ${SCHEMA_FILE}`);
    return 0;
  },
};
