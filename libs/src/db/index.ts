export { type MigrateOptions, migrate } from "./migrate";
export { checkDatabase, createPool, type PoolConfig } from "./pool";
export { type DatabaseGrant, dropDatabases, provisionDatabases } from "./provision";
export { createScratchDatabase, type ScratchDatabase } from "./scratch-database";
export { type IsolationLevel, type TransactionOptions, withTransaction } from "./transaction";
