import { defineConfig } from 'tsup';

export default defineConfig({
  // The main entry and one entry per client integration (`@promptline/sdk/openai`, …). Shared code
  // goes into common chunks in both formats (`splitting`), so an integration and the main entry
  // share one copy of the SDK's state (tracer, settings, prompt context).
  entry: {
    index: 'src/index.ts',
    openai: 'src/integrations/openai.ts',
    anthropic: 'src/integrations/anthropic.ts',
    ai: 'src/integrations/ai.ts',
    langchain: 'src/integrations/langchain.ts',
  },
  format: ['esm', 'cjs'],
  splitting: true,
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
});
