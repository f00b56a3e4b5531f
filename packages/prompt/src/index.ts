export { Prompt, PromptCompileError } from './Prompt.js';
export type { CompileOptions, PromptOrigin } from './Prompt.js';
export { parsePromptData, promptHash, PromptDataError } from './PromptData.js';
export type {
  PromptData,
  TextPromptData,
  ChatPromptData,
  ChatMessage,
  ChatMessageTemplate,
  ChatPlaceholder,
  PromptExample,
} from './PromptData.js';
export type { PromptDiff, ConfigChange } from './promptDiff.js';
export { escapeTemplate, TemplateSyntaxError } from './template.js';
export { PromptNotFoundError } from './PromptSource.js';
export type { PromptSource, PromptSelector } from './PromptSource.js';
export { loadPromptFiles, FilePromptSource, PromptFileError } from './promptFiles.js';
export { HttpPromptSource } from './registry/HttpPromptSource.js';
export type { HttpPromptSourceOptions } from './registry/HttpPromptSource.js';
export { RegistryClient, RegistryRequestError } from './registry/RegistryClient.js';
export type { RegistryClientOptions } from './registry/RegistryClient.js';
export { registryPromptToData } from './registry/registryTypes.js';
export type {
  RegistryPrompt,
  RegistryPromptBody,
  RegistryCreateRequest,
  RegistryCreateResult,
  RegistryPromptSummary,
  RegistryVersionSummary,
  RegistryLabelMove,
  RegistryErrorBody,
} from './registry/registryTypes.js';
