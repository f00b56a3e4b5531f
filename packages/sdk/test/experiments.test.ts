import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE } from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observe, Prompt, PromptSpanProcessor, parsePromptData, withPrompt } from '@promptline/sdk';
import { VariantChooser } from '../src/experiments/VariantChooser.js';

const USERS = 100_000;
const userIds = Array.from({ length: USERS }, (_, i) => `user-${i}`);

describe('VariantChooser', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new PromptSpanProcessor(), new SimpleSpanProcessor(exporter)],
  });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    context.disable();
  });

  it('splits 100,000 user ids within ±2% of each weight', () => {
    const chooser = new VariantChooser({
      name: 'tone',
      arms: [
        { label: 'production', weight: 50 },
        { label: 'variant-b', weight: 30 },
        { label: 'variant-c', weight: 20 },
      ],
    });
    const counts = new Map<string, number>();
    for (const id of userIds) {
      const { label } = chooser.choose(id, { record: false });
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['production', 'variant-b', 'variant-c']);
    expect(Math.abs((counts.get('production') ?? 0) / USERS - 0.5)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('variant-b') ?? 0) / USERS - 0.3)).toBeLessThan(0.02);
    expect(Math.abs((counts.get('variant-c') ?? 0) / USERS - 0.2)).toBeLessThan(0.02);
  });

  it('is sticky: the same user always gets the same arm, also from a second chooser instance', () => {
    const opts = {
      name: 'sticky',
      arms: [
        { label: 'production', weight: 1 },
        { label: 'variant-b', weight: 1 },
      ],
    };
    const a = new VariantChooser(opts);
    const b = new VariantChooser(opts);
    let differsFromFirstCall = 0;
    for (const id of userIds.slice(0, 20_000)) {
      const first = a.choose(id, { record: false }).label;
      if (a.choose(id, { record: false }).label !== first) differsFromFirstCall++;
      if (b.choose(id, { record: false }).label !== first) differsFromFirstCall++;
    }
    expect(differsFromFirstCall).toBe(0);
  });

  it('different experiments assign independently (the name salts the hash)', () => {
    const arms = [
      { label: 'production', weight: 1 },
      { label: 'variant-b', weight: 1 },
    ];
    const x = new VariantChooser({ name: 'exp-x', arms });
    const y = new VariantChooser({ name: 'exp-y', arms });
    let same = 0;
    for (const id of userIds.slice(0, 10_000)) {
      if (x.choose(id, { record: false }).label === y.choose(id, { record: false }).label) same++;
    }
    // Independent 50/50 assignments agree about half the time.
    expect(same / 10_000).toBeGreaterThan(0.47);
    expect(same / 10_000).toBeLessThan(0.53);
  });

  it('gradual rollout: the share in the experiment matches the percentage, and raising it keeps everyone in', () => {
    const arms = [
      { label: 'production', weight: 50 },
      { label: 'variant-b', weight: 50 },
    ];
    const at10 = new VariantChooser({ name: 'rollout', arms, rolloutPercent: 10, controlLabel: 'stable' });
    const at30 = new VariantChooser({ name: 'rollout', arms, rolloutPercent: 30, controlLabel: 'stable' });
    let in10 = 0;
    let in30 = 0;
    let leftOrSwitched = 0;
    let controlSeen = 0;
    for (const id of userIds) {
      const c10 = at10.choose(id, { record: false });
      const c30 = at30.choose(id, { record: false });
      if (c10.inExperiment) {
        in10++;
        if (!c30.inExperiment || c30.label !== c10.label) leftOrSwitched++;
      } else {
        expect(c10.label).toBe('stable');
        expect(c10.arm).toBeUndefined();
        controlSeen++;
      }
      if (c30.inExperiment) in30++;
    }
    expect(Math.abs(in10 / USERS - 0.1)).toBeLessThan(0.02);
    expect(Math.abs(in30 / USERS - 0.3)).toBeLessThan(0.02);
    expect(controlSeen).toBe(USERS - in10);
    expect(leftOrSwitched).toBe(0);
  });

  it('records experiment name, arm and label on the active span; nothing for users outside the rollout', () => {
    exporter.reset();
    const chooser = new VariantChooser({
      name: 'checkout',
      arms: [
        { label: 'production', weight: 0 },
        { label: 'variant-b', weight: 1, name: 'b' },
      ],
      rolloutPercent: 50,
    });
    const inside = userIds.find((id) => chooser.choose(id, { record: false }).inExperiment) as string;
    const outside = userIds.find((id) => !chooser.choose(id, { record: false }).inExperiment) as string;
    const tracer = trace.getTracer('experiments-test');
    const generation = { attributes: { [GEN_AI.OPERATION_NAME]: 'chat' } };
    tracer.startActiveSpan('inside', generation, (span) => {
      expect(chooser.choose(inside)).toEqual({
        label: 'variant-b',
        arm: 'b',
        inExperiment: true,
        experiment: 'checkout',
      });
      span.end();
    });
    tracer.startActiveSpan('outside', generation, (span) => {
      expect(chooser.choose(outside).label).toBe('production');
      span.end();
    });
    tracer.startActiveSpan('plain-parent', (span) => {
      chooser.choose(inside);
      span.end();
    });
    const spans = exporter.getFinishedSpans();
    const insideSpan = spans.find((s) => s.name === 'inside');
    const outsideSpan = spans.find((s) => s.name === 'outside');
    const plainSpan = spans.find((s) => s.name === 'plain-parent');
    expect(insideSpan?.attributes[PROMPTLINE.EXPERIMENT_NAME]).toBe('checkout');
    expect(insideSpan?.attributes[PROMPTLINE.EXPERIMENT_ARM]).toBe('b');
    expect(insideSpan?.attributes[PROMPTLINE.PROMPT_LABEL]).toBe('variant-b');
    expect(outsideSpan?.attributes[PROMPTLINE.EXPERIMENT_NAME]).toBeUndefined();
    expect(outsideSpan?.attributes[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
    // A parent that is not a generation gets the experiment, never a prompt label.
    expect(plainSpan?.attributes[PROMPTLINE.EXPERIMENT_ARM]).toBe('b');
    expect(plainSpan?.attributes[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
  });

  it('run(): generations started inside carry the arm — observe() and third-party spans; plain spans do not', async () => {
    exporter.reset();
    const chooser = new VariantChooser({
      name: 'tone',
      arms: [
        { label: 'production', weight: 0, name: 'control' },
        { label: 'concise', weight: 1, name: 'short' },
      ],
    });
    const tracer = trace.getTracer('experiments-test');
    const labelled = new Prompt(parsePromptData({ name: 'qa', version: 4, template: 'Q {{q}}' }), {
      label: 'concise',
    });
    const fallback = new Prompt(
      { name: 'qa', version: 0, type: 'text', template: 'fb' },
      { isFallback: true },
    );
    const result = await tracer.startActiveSpan('request', async (parent) => {
      const out = await chooser.run('user-1', async (choice) => {
        expect(choice).toMatchObject({ label: 'concise', arm: 'short', inExperiment: true });
        await observe(async () => 'ok', { name: 'observed-gen', asType: 'generation', model: 'm' })();
        await observe(async () => 'ok', { name: 'observed-span' })();
        await observe(async () => 'ok', { name: 'fallback-gen', asType: 'generation', prompt: fallback })();
        withPrompt(labelled, () =>
          tracer.startSpan('chat gpt-4o-mini', { attributes: { [GEN_AI.OPERATION_NAME]: 'chat' } }).end(),
        );
        tracer
          .startSpan('third-party-generation', { attributes: { [GEN_AI.PROVIDER_NAME]: 'openai' } })
          .end();
        tracer.startSpan('http-get').end();
        return choice.label;
      });
      parent.end();
      return out;
    });
    expect(result).toBe('concise');
    const by = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)?.attributes ?? {};
    for (const name of ['observed-gen', 'chat gpt-4o-mini', 'third-party-generation']) {
      expect([name, by(name)[PROMPTLINE.EXPERIMENT_NAME], by(name)[PROMPTLINE.EXPERIMENT_ARM]]).toEqual([
        name,
        'tone',
        'short',
      ]);
      expect(by(name)[PROMPTLINE.PROMPT_LABEL]).toBe('concise');
    }
    expect(by('chat gpt-4o-mini')[PROMPTLINE.PROMPT_VERSION]).toBe(4);
    // Fallbacks get the experiment but never a label.
    expect(by('fallback-gen')[PROMPTLINE.EXPERIMENT_ARM]).toBe('short');
    expect(by('fallback-gen')[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
    // Not generations: nothing from the context.
    for (const name of ['observed-span', 'http-get']) {
      expect(by(name)[PROMPTLINE.EXPERIMENT_NAME]).toBeUndefined();
      expect(by(name)[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
    }
    // The parent active at run(): experiment name and arm, no label (it is not a generation).
    expect(by('request')[PROMPTLINE.EXPERIMENT_ARM]).toBe('short');
    expect(by('request')[PROMPTLINE.PROMPT_LABEL]).toBeUndefined();
  });

  it('rejects bad configuration with a message naming the problem', () => {
    expect(() => new VariantChooser({ name: 'x', arms: [] })).toThrow(/at least one arm/);
    expect(() => new VariantChooser({ name: 'x', arms: [{ label: 'Bad Label', weight: 1 }] })).toThrow(
      /arm label "Bad Label"/,
    );
    expect(() => new VariantChooser({ name: 'x', arms: [{ label: 'a', weight: -1 }] })).toThrow(/weight/);
    expect(() => new VariantChooser({ name: 'x', arms: [{ label: 'a', weight: 0 }] })).toThrow(/sum to 0/);
    expect(
      () => new VariantChooser({ name: 'x', arms: [{ label: 'a', weight: 1 }], rolloutPercent: 120 }),
    ).toThrow(/rolloutPercent/);
    expect(
      () => new VariantChooser({ name: 'x', arms: [{ label: 'a', weight: 1 }], controlLabel: 'Prod!' }),
    ).toThrow(/controlLabel "Prod!" must match/);
  });
});
