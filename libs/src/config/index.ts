export { ConfigError, type Env, env, parseDurationMs, parseEnv } from "./env";
