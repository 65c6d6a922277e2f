// Writes one plain closing line, `jest: N passed, N failed, N skipped`, to stdout and to
// coverage/jest-summary.txt, so `.ci/run` can end its log with the count (jest prints
// its coverage table after every reporter has finished).
const { mkdirSync, writeFileSync } = require("node:fs");
const { join } = require("node:path");

class SummaryReporter {
  constructor(globalConfig) {
    this.dir = globalConfig.coverageDirectory ?? join(globalConfig.rootDir, "coverage");
  }

  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`;
    process.stdout.write(line);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, "jest-summary.txt"), line);
  }
}

module.exports = SummaryReporter;
