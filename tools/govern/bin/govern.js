#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx govern` works without a build step.
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");

const tsx = require.resolve("tsx/cli");
const cli = join(__dirname, "..", "src", "cli.ts");
const result = spawnSync(process.execPath, [tsx, cli, ...process.argv.slice(2)], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
