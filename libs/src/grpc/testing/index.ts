/** Test support for code behind the gRPC pipeline: real tokens and a log you can read. */
export { createCapturedLogger } from "./captured-logger";
export { partialHandlers } from "./partial-handlers";
export {
  createTestIdentities,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestIdentities,
} from "./test-identities";
