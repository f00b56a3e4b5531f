import { createOutput } from '../src/output.js';
import type { Output } from '../src/output.js';

/** An Output writing into strings, for asserting what a command printed where. */
export function captureOutput(): { out: Output; stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  const out = createOutput({
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
  });
  return { out, stdout: () => stdout, stderr: () => stderr };
}
