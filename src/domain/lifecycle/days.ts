/**
 * Template day bitmaps (autostop requirement days, autostart block days): bit 0 = Monday ...
 * bit 6 = Sunday, so the weekend is contiguous. Cron numbers days 0 = Sunday ... 6 = Saturday.
 */
export const DAY_NAMES = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

export type DayName = (typeof DAY_NAMES)[number];

/** Bit of a cron weekday (0 = Sunday) in a Monday-first bitmap. */
export function dayBit(cronWeekday: number): number {
  return 1 << ((cronWeekday + 6) % 7);
}

export function hasDay(bitmap: number, cronWeekday: number): boolean {
  return (bitmap & dayBit(cronWeekday)) !== 0;
}

/** Cron weekdays (0 = Sunday) whose bit is set. */
export function cronDaysOf(bitmap: number): number[] {
  return [0, 1, 2, 3, 4, 5, 6].filter((day) => hasDay(bitmap, day));
}

export function dayNamesOf(bitmap: number): DayName[] {
  return DAY_NAMES.filter((_, bit) => (bitmap & (1 << bit)) !== 0);
}

export function bitmapOf(days: readonly DayName[]): number {
  return days.reduce((bits, day) => bits | (1 << DAY_NAMES.indexOf(day)), 0);
}
