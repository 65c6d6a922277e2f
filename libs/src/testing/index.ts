/**
 * Test support for the services' and the gateway's tests: a stand-in token issuer, a
 * service environment on free ports, real gRPC clients with dev identities, and
 * scratch databases. Never imported by production code.
 */
export { createScratchDatabase, type ScratchDatabase } from "../db/scratch-database";
export { eventually } from "./eventually";
export { createTestClient } from "./test-client";
export { TEST_ADMIN_URL, testServiceEnv, uniquePrefix } from "./test-env";
export { createTestIssuer, type TestIssuer } from "./test-issuer";
