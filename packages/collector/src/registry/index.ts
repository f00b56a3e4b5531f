export { PromptRegistry } from './PromptRegistry.js';
export type {
  RegistryCaller,
  PromptRegistryOptions,
  PromptVersionView,
  CreateResult,
  LabelMove,
  HistoryEntry,
} from './PromptRegistry.js';
export { ClickHouseRegistryStore } from './ClickHouseRegistryStore.js';
export type { ClickHouseRegistryStoreOptions } from './ClickHouseRegistryStore.js';
export { RegistryError } from './RegistryError.js';
export type { RegistryErrorCode } from './RegistryError.js';
export { registryRoutes, REGISTRY_PATH_PREFIX } from './registryRoutes.js';
export type { RegistryRoutesOptions } from './registryRoutes.js';
export { LABEL_PATTERN, LATEST_LABEL } from './promptRules.js';
export type { RegistryLimits } from './promptRules.js';
export type {
  RegistryStore,
  StoredVersion,
  LabelEvent,
  VersionSummary,
  PromptSummary,
  CurrentLabel,
} from './types.js';
