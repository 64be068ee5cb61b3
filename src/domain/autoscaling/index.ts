/**
 * Demand-aware pool sizing, pure. The edges (snapshot, reconciler, status, plan, metrics, the
 * simulator's database mode) use this API:
 *
 * - `decideTarget(policy, inputs, now, settings)`: a preset's desired pool size, its source and
 *   why, never throwing;
 * - `validateExpression(text)`: the problems of an expression, for push and validate;
 * - `erlangB`, `hitRate`, `poolSizeFor`: the loss model;
 * - `DEFAULT_AUTOSCALING_SETTINGS`: maxTarget 100, default lead time 2 minutes.
 */
export * from './types.js';
export { decideTarget } from './decide.js';
export {
  DEFAULT_AUTOSCALING_SETTINGS,
  EMPTY_POOL_COUNTS,
  DEFAULT_LEAD_TIME_MS,
  DEFAULT_MAX_TARGET,
} from './defaults.js';
export { historyProblem, profileRatePerMinute, recentRatePerMinute } from './demand-rate.js';
export { erlangB, hitRate, poolSizeFor } from './erlang.js';
export {
  compileExpression,
  evaluateExpression,
  expressionVariables,
  FUNCTION_NAMES,
  MAX_EXPRESSION_LENGTH,
  targetFromValue,
  validateExpression,
  VARIABLE_NAMES,
} from './expression/index.js';
export type { ExpressionValue, ExpressionVariables, VariableName } from './expression/index.js';
export { decideForecast, type LeadTime, resolveLeadTime } from './forecast.js';
export {
  HOURS_PER_WEEK,
  hourOfWeek,
  localClock,
  type LocalClock,
  localHour,
} from './local-time.js';
