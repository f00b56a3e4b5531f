export { startCollector } from './startCollector.js';
export type { RunningCollector, StartOptions } from './startCollector.js';
export type { ReadCacheStats } from './read/ReadCache.js';
export { loadConfig, defaultConfigDocument, ENV_OVERRIDES } from './config/loadConfig.js';
export { ConfigError } from './config/ConfigError.js';
export type { CollectorConfig } from './config/CollectorConfig.js';
export type { ProcessorConfig } from './processors/processorConfig.js';
export {
  ApiKeyStore,
  AuthError,
  generateApiKey,
  hashApiKey,
  presentedKey,
  SCOPES,
} from './auth/ApiKeyStore.js';
export type { ApiKeyEntry, Principal, Scope } from './auth/ApiKeyStore.js';
export { Router, HttpError, sendJson, readBody, readJson } from './server/Router.js';
export type { HttpMethod, RouteHandler, RouteParams, RouteMatch } from './server/Router.js';
export type { RouteDeps, RouteModule } from './server/RouteModule.js';
export { decodeTracesProto } from './otlp/proto/decodeTracesProto.js';
export { decodeLogsProto } from './otlp/proto/decodeLogsProto.js';
export type { DecodedTraces, DecodedLogs } from './otlp/rowTypes.js';
export { decodeTracesJson, decodeLogsJson } from './otlp/otlpJsonDecoder.js';
export { OtlpDecodeError, DEFAULT_DECODE_LIMITS } from './otlp/OtlpDecodeError.js';
export type { DecodeLimits } from './otlp/OtlpDecodeError.js';
export type { LogLevel, Logger, LogSink } from './logger.js';
export {
  PromptRegistry,
  ClickHouseRegistryStore,
  RegistryError,
  registryRoutes,
  type RegistryCaller,
  type RegistryStore,
  type RegistryRoutesOptions,
} from './registry/index.js';
export type { RunningConsole } from './startCollector.js';
export { ConsoleAuth, SESSION_COOKIE } from './console/ConsoleAuth.js';
export type { ConsoleIdentity, ConsoleAuthOptions } from './console/ConsoleAuth.js';
export { consoleRoutes, CONSOLE_CSP } from './console/consoleRoutes.js';
export { loadConsoleAssets, consoleDistDir } from './console/consoleAssets.js';
export { viewRoutes } from './read/viewRoutes.js';
export { registryDiffRoutes } from './registry/registryDiffRoutes.js';
