export { Prompt, PromptCompileError } from './prompt/Prompt.js';
export type { CompileOptions, PromptOrigin } from './prompt/Prompt.js';
export { parsePromptData, promptHash, PromptDataError } from './prompt/PromptData.js';
export type {
  PromptData,
  TextPromptData,
  ChatPromptData,
  ChatMessage,
  ChatMessageTemplate,
  ChatPlaceholder,
  PromptExample,
} from './prompt/PromptData.js';
export type { PromptDiff, ConfigChange } from './prompt/promptDiff.js';
export { escapeTemplate, TemplateSyntaxError } from './prompt/template.js';
export { PromptNotFoundError } from './prompt/PromptSource.js';
export type { PromptSource, PromptSelector } from './prompt/PromptSource.js';
export { PromptClient } from './prompt/PromptClient.js';
export type { PromptClientOptions, GetPromptOptions } from './prompt/PromptClient.js';
export { loadPromptFiles, FilePromptSource, PromptFileError } from './prompt/promptFiles.js';
export { setLogLevel, setLogSink } from './logger.js';
export type { LogLevel, LogSink } from './logger.js';
