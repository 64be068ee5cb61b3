import type { Logger } from '../log/logger.js';

/**
 * Resolves on the first SIGTERM or SIGINT so the caller can drain and stop; a second signal
 * exits at once (130), for an operator who does not want to wait.
 */
export function waitForShutdownSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      logger.info({ signal }, 'signal received: shutting down');
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
