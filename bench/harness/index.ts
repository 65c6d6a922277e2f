export {
  createLatencyHistogram,
  type HistogramSnapshot,
  type LatencyHistogram,
} from "./latency-histogram";
export {
  type GrpcLoadSpec,
  type GrpcLoadWorker,
  runGrpcLoad,
  startGrpcLoadWorker,
} from "./load-grpc";
export {
  type HttpLoadSpec,
  type HttpLoadWorker,
  type HttpRequestSpec,
  runHttpLoad,
  startHttpLoadWorker,
} from "./load-http";
export {
  type PgLoadSpec,
  type PgLoadWorker,
  type PgStatement,
  runPgLoad,
  startPgLoadWorker,
} from "./load-pg";
export { isSuccessStatus, type LoadRunResult } from "./load-result";
export type { LoadWorker } from "./load-worker";
export {
  describeGitRevision,
  describeMachine,
  type GitRevision,
  type MachineInfo,
} from "./machine-info";
export {
  createProcessMonitor,
  type MonitorPhase,
  type MonitorTarget,
  type ProcessMonitor,
  type ProcessUsage,
} from "./process-monitor";
export {
  findFreePort,
  type ProcessGroup,
  type ProcessSpec,
  type Readiness,
  type RunningProcess,
  startProcesses,
  tsxCommand,
} from "./processes";
export { type ReportOptions, writeReport } from "./report";
export {
  type Comparison,
  parseResults,
  RESULTS_SCHEMA_VERSION,
  type RunResult,
  readResults,
  type ScenarioResult,
  scenarioResultSchema,
  type VariantResult,
  writeResults,
} from "./results";
export { renderChartSvg } from "./results-chart";
export { formatNumber, renderMarkdownTable } from "./results-table";
export { DEFAULT_RESULTS_DIR, type RunScenarioOptions, runScenario } from "./scenario";
export {
  defineScenario,
  type LoadTarget,
  type ScenarioContext,
  type ScenarioDefinition,
  type VariantDefinition,
} from "./scenario-definition";
