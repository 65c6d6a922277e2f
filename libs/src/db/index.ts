export { type DatabaseGrant, dropDatabases, provisionDatabases } from "./provision";
