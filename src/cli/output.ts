/**
 * Resolves once everything written so far to `stream` has been handed to the operating system.
 * A pipe takes 64 KiB at a time; `process.exit()` before the rest drains would cut the output
 * short while still exiting 0. An empty write's callback runs after every earlier write's.
 */
export function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) {
      resolve();
      return;
    }
    stream.write('', () => resolve());
  });
}

/** Waits for stdout and stderr to drain, then exits with `code`: the CLI's only way out. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
