import { GEN_AI } from '@promptline/semconv';
export const x: string = GEN_AI.PROMPT_NAME;
