export * from './activity.js';
export * from './autostop.js';
export * from './cron.js';
export * from './days.js';
export * from './next-start.js';
export * from './quiet-hours.js';
export * from './reminder.js';
export {
  type AutostartSchedule,
  blockedDaysProblem,
  nextAllowedAutostart,
  nextAutostart,
  parseAutostartSchedule,
  tryParseAutostartSchedule,
} from './schedule.js';
export * from './transition.js';
export * from './types.js';
export * from './validation.js';
