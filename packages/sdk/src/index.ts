// The prompt model lives in @promptline/prompt; SDK users keep importing it from here.
export {
  Prompt,
  PromptCompileError,
  parsePromptData,
  promptHash,
  PromptDataError,
  escapeTemplate,
  TemplateSyntaxError,
  PromptNotFoundError,
  loadPromptFiles,
  FilePromptSource,
  PromptFileError,
  HttpPromptSource,
  RegistryRequestError,
} from '@promptline/prompt';
export type {
  CompileOptions,
  PromptOrigin,
  PromptData,
  TextPromptData,
  ChatPromptData,
  ChatMessage,
  ChatMessageTemplate,
  ChatPlaceholder,
  PromptExample,
  PromptDiff,
  ConfigChange,
  PromptSource,
  PromptSelector,
  HttpPromptSourceOptions,
} from '@promptline/prompt';
export { PromptClient } from './prompt/PromptClient.js';
export type { PromptClientOptions, GetPromptOptions } from './prompt/PromptClient.js';
export {
  observe,
  observed,
  startActiveGeneration,
  updateActiveGeneration,
  getActiveGeneration,
} from './tracing/observe.js';
export type { ObserveOptions, ObservedDecorator } from './tracing/observe.js';
export { Generation, startGeneration } from './tracing/Generation.js';
export type { GenerationOptions, GenerationUpdate, Usage } from './tracing/Generation.js';
export { withPrompt, promptAttributes } from './tracing/promptContext.js';
export { withVariant } from './tracing/variantContext.js';
export type { VariantInContext } from './tracing/variantContext.js';
export { PromptSpanProcessor } from './tracing/PromptSpanProcessor.js';
export { configureTracing } from './tracing/settings.js';
export type { TracingSettings, MaskFunction, CaptureKind } from './tracing/settings.js';
export { score } from './scores.js';
export type { ScoreOptions, ScoreTarget } from './scores.js';
export { validateOutput } from './validation.js';
export type { ValidationResult } from './validation.js';
export { init } from './init.js';
export type { InitOptions, PromptlineTelemetry } from './init.js';
export { setLogLevel, setLogSink } from './logger.js';
export type { LogLevel, LogSink } from './logger.js';
export {
  VariantChooser,
  type VariantArm,
  type VariantChooserOptions,
  type VariantChoice,
} from './experiments/VariantChooser.js';
