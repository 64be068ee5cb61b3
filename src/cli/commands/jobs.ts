import { type Command, InvalidArgumentError } from 'commander';

import { FINISHED_STATUSES, isUuid, type JobLogLine, type JobView } from '../../jobs/service.js';
import { sleep } from '../../jobs/sleep.js';
import { formatTags } from '../../jobs/tags.js';
import { type JobsClient, withJobsClient } from '../backends/jobs.js';
import { CliError } from '../errors.js';
import { addClientSettings, DATABASE_SETTINGS } from '../options.js';

/** A job id argument: "not a UUID" is a usage error (exit 2), not "not found". */
function jobId(value: string): string {
  if (!isUuid(value)) throw new InvalidArgumentError('not a UUID');
  return value;
}

const time = (value: Date | null) => (value ? value.toISOString() : '-');

export function formatJob(job: JobView): string {
  const tags = formatTags(
    Object.fromEntries(Object.entries(job.tags).map(([key, value]) => [key, String(value)])),
  );
  const lines = [
    `job ${job.id}`,
    `  status:      ${job.status}`,
    `  provisioner: ${job.provisioner} (tags ${tags})`,
  ];
  if (job.build_id) {
    lines.push(
      `  build:       #${job.build_number} ${job.transition} (${job.reason}) of workspace ${job.workspace_id}`,
    );
  }
  lines.push(
    `  created:     ${time(job.created_at)}`,
    `  started:     ${time(job.started_at)}`,
    `  completed:   ${time(job.completed_at)}`,
  );
  if (job.canceled_at) {
    const by = job.canceled_by ? ` by ${job.canceled_by}` : '';
    lines.push(`  canceled:    ${time(job.canceled_at)}${by}`);
  }
  if (job.worker_name ?? job.worker_id)
    lines.push(`  daemon:      ${job.worker_name ?? job.worker_id}`);
  if (job.error)
    lines.push(`  error:       ${job.error}${job.error_code ? ` (${job.error_code})` : ''}`);
  return lines.join('\n') + '\n';
}

export function formatLogLine(line: JobLogLine): string {
  const stage = line.stage ? ` ${line.stage}:` : '';
  return `${line.created_at.toISOString()} [${line.level}]${stage} ${line.output}\n`;
}

async function requireJob(client: JobsClient, id: string): Promise<JobView> {
  const job = await client.get(id);
  if (!job) throw new CliError(`job ${id} not found`, 1);
  return job;
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('inspect and cancel provisioner jobs');

  addClientSettings(
    jobs
      .command('show')
      .description('show a job: status, build, times, daemon, error')
      .argument('<id>', 'job id (a UUID)', jobId)
      .option('--json', 'print the job as JSON'),
    DATABASE_SETTINGS,
  ).action(async (id: string, flags: Record<string, unknown>) => {
    await withJobsClient(flags, async (client) => {
      const job = await requireJob(client, id);
      process.stdout.write(flags.json ? JSON.stringify(job, null, 2) + '\n' : formatJob(job));
    });
  });

  addClientSettings(
    jobs
      .command('logs')
      .description('print the log lines of a job')
      .argument('<id>', 'job id (a UUID)', jobId)
      .option('-f, --follow', 'keep printing new lines until the job finishes')
      .option(
        '--json',
        'print one JSON object per line: {"id","created_at","level","stage","output"}',
      ),
    DATABASE_SETTINGS,
  ).action(async (id: string, flags: Record<string, unknown>) => {
    await withJobsClient(flags, async (client) => {
      let job = await requireJob(client, id);
      let after = 0;
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        for (;;) {
          const finished = FINISHED_STATUSES.has(job.status);
          for (;;) {
            const lines = await client.logs(id, after, 1000);
            for (const line of lines) {
              process.stdout.write(flags.json ? JSON.stringify(line) + '\n' : formatLogLine(line));
            }
            after = lines.at(-1)?.id ?? after;
            if (lines.length < 1000) break;
          }
          if (!flags.follow || finished || stop.signal.aborted) break;
          await sleep(500, stop.signal).catch(() => undefined);
          job = await requireJob(client, id);
        }
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
  });

  addClientSettings(
    jobs
      .command('cancel')
      .description(
        'cancel a job: a pending one at once, a running one when its daemon next checks in',
      )
      .argument('<id>', 'job id (a UUID)', jobId)
      .option('--json', 'print the job as JSON'),
    DATABASE_SETTINGS,
  ).action(async (id: string, flags: Record<string, unknown>) => {
    await withJobsClient(flags, async (client) => {
      const result = await client.cancel(id);
      switch (result.outcome) {
        case 'not_found':
          throw new CliError(`job ${id} not found`, 1);
        case 'finished':
          throw new CliError(`job ${id} is already ${result.job.status}; nothing to cancel`, 1);
        case 'canceled':
        case 'canceling':
          process.stdout.write(
            flags.json
              ? JSON.stringify(result.job, null, 2) + '\n'
              : result.outcome === 'canceled'
                ? `job ${id} canceled\n`
                : `job ${id} canceling: its daemon stops it at its next heartbeat\n`,
          );
      }
    });
  });
}
