export type { CronRange, CronParseResult } from './cron.js';
export { matchesDay, matchesLocal, parseCronRange } from './cron.js';
export type { DesiredChange } from './evaluate.js';
export {
  desiredInstances,
  evaluateDesired,
  NEXT_CHANGE_HORIZON_MS,
  nextChange,
  resolveDesired,
} from './evaluate.js';
export type { LocalDateTime as LocalHour } from '../time/zone.js';
export { toLocal as localHour, zoneOf } from '../time/zone.js';
export type { PreviewPoint, PreviewRun } from './preview.js';
export { previewDesired, previewRuns } from './preview.js';
export type {
  DesiredResolver,
  DesiredResult,
  PrebuildSchedule,
  PrebuildScheduleConfig,
} from './types.js';
export type { IssuePath, OverlapWitness, ScheduleInput, ScheduleIssue } from './validate.js';
export {
  checkSchedules,
  describeWitness,
  findOverlap,
  formatPath,
  timezoneProblem,
} from './validate.js';
