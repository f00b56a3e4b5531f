/** The statistics behind comparisons and distributions, for this package and its tests (not re-exported by the package). */
export { mannWhitneyU, exactUDistribution } from './mannWhitney.js';
export type { MannWhitneyResult } from './mannWhitney.js';
export { welchTTest } from './welch.js';
export type { Moments, WelchResult } from './welch.js';
export { compareProportions, twoProportionZTest, fisherExactTest } from './proportions.js';
export type { Proportion, ProportionResult } from './proportions.js';
export { holmAdjust } from './holm.js';
export {
  normalCdf,
  normalTwoSided,
  studentTCdf,
  studentTTwoSided,
  studentTSurvival,
  chiSquareSurvival,
  binomialCdf,
  binomialSurvival,
} from './distributions.js';
export {
  normalQuantile,
  studentTQuantile,
  betaQuantile,
  binomialQuantile,
  binomialUpperQuantile,
} from './inverseCdf.js';
export {
  wilsonInterval,
  newcombeInterval,
  meanInterval,
  welchInterval,
  quantileInterval,
  orderStatisticInterval,
} from './intervals.js';
export type { Interval, QuantileInterval } from './intervals.js';
export { hodgesLehmann } from './hodgesLehmann.js';
export type { ShiftEstimate } from './hodgesLehmann.js';
export { standardizedMeanDifference, rateEffects } from './effectSize.js';
export type { StandardizedDifference, RateEffects } from './effectSize.js';
export { compareCategories, EXACT_MAX_TABLES } from './categories.js';
export type { HomogeneityResult } from './categories.js';
export {
  describeNumeric,
  describeProportion,
  describeCategories,
  describeWeighted,
  sampleQuantile,
  weightedQuantile,
  weightedSample,
} from './describe.js';
export type {
  NumericDescription,
  ProportionDescription,
  CategoricalDescription,
  CategoryShare,
  WeightedSample,
} from './describe.js';
export { scoreKind } from './scoreKind.js';
export type { ScoreKind, ScoreKindInput } from './scoreKind.js';
