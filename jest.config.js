// One jest run for the whole repo. TypeScript 7 has no compiler API, so ts-jest cannot
// work: @swc/jest strips types (`tsc --noEmit` is the type gate) and emits CommonJS.
// Plain JavaScript because jest loads a TypeScript config only through ts-node.
const { existsSync, readdirSync } = require("node:fs");
const { join } = require("node:path");

const swc = [
  "@swc/jest",
  {
    jsc: {
      parser: { syntax: "typescript" },
      target: "es2022",
      transform: { useDefineForClassFields: true },
    },
    module: { type: "commonjs" },
    sourceMaps: "inline",
  },
];

// The seed's 80 % line coverage gate, for each package that has source code yet.
const COVERED = [
  "libs/src",
  "services/user/src",
  "services/product/src",
  "services/order/src",
  "gateway/src",
];
const hasCode = (dir) =>
  existsSync(join(__dirname, dir)) &&
  readdirSync(join(__dirname, dir), { recursive: true }).some(
    (f) => String(f).endsWith(".ts") && !String(f).endsWith(".spec.ts"),
  );

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  reporters: ["default", "<rootDir>/scripts/jest-summary-reporter.js"],
  // jose 6 is ESM-only, and jest's CommonJS runtime on Node 20 cannot require() ESM:
  // swc turns its .js files into CommonJS too.
  transform: { "^.+\\.ts$": swc, "/node_modules/jose/.+\\.js$": swc },
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  testMatch: ["<rootDir>/**/*.spec.ts"],
  testPathIgnorePatterns: ["/node_modules/", "/dist/"],
  // Integration tests start real servers and use the real databases.
  maxWorkers: 2,
  testTimeout: 30_000,
  coverageProvider: "v8",
  collectCoverageFrom: [
    ...COVERED.map((dir) => `${dir}/**/*.ts`),
    "!**/*.spec.ts",
    "!**/main.ts",
    "!**/index.ts",
  ],
  coverageThreshold: Object.fromEntries(
    COVERED.filter(hasCode).map((dir) => [`./${dir}/`, { lines: 80 }]),
  ),
};
