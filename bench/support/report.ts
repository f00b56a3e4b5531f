/** Benchmarks end with one JSON object on their last line, for machines to read. */
export function reportResult(bench: string, figures: Record<string, number | string | boolean>): void {
  process.stdout.write(`${JSON.stringify({ bench, ...figures })}\n`);
}

/** Median of a list of numbers (the list is not modified). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
