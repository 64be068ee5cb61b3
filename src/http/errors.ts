/** One problem with the input: where (a field path) and what is wrong. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/**
 * An error with an HTTP status and a stable code. The API answers
 * `{"code": "...", "message": "...", "details": [...]}` for it.
 */
export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ErrorDetail[] = [],
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details: readonly ErrorDetail[] = []) =>
  new AppError(400, 'bad_request', message, details);
export const notFound = (message: string) => new AppError(404, 'not_found', message);
export const conflict = (message: string, details: readonly ErrorDetail[] = []) =>
  new AppError(409, 'conflict', message, details);
