import { z } from 'zod/v4';

/** The largest pool size a template may ask for, in `instances`, schedules and autoscaling. */
export const MAX_INSTANCES = 1000;

/** A pool size field: a whole number from 0 to MAX_INSTANCES. */
export const poolSize = (description: string) =>
  z
    .number()
    .int()
    .min(0)
    .max(MAX_INSTANCES)
    .meta({ description: `${description} (0..${MAX_INSTANCES})` });
