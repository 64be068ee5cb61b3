/** A failure of the embedded PostgreSQL, reported as one line (what failed, where, what to do). */
export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/\s*\n\s*/g, ' | ').trim(), options);
  }
}
