import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { packageRoot } from '../../src/util/paths.js';
import { createEmptyDatabase } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

/**
 * No container engine here: this reproduces the Dockerfile's runtime stage in a temporary folder
 * (its `npm ci` command and its COPY lines, read from the Dockerfile) and runs the program from
 * there, through the image's entry point, with production dependencies only. A dev-only import,
 * a file the image does not copy, or a missing dependency fails here.
 */
interface RuntimeStage {
  readonly install: string[];
  /** [source in the repository (or the build stage's dist/), destination under /app]. */
  readonly copies: [string, string][];
  readonly entrypoint: string[];
  readonly cmd: string[];
  readonly user: string;
}

function runtimeStage(): RuntimeStage {
  const text = readFileSync(join(packageRoot, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const stage = text.slice(text.indexOf(' AS runtime'));
  const install = /^RUN (npm ci [^&\n]+)/m.exec(stage)?.[1]?.trim().split(/\s+/) ?? [];
  // `COPY a b ./` keeps the names; `COPY --from=build /src/dist ./dist` takes the build stage's.
  const copies = [...stage.matchAll(/^COPY (.+)$/gm)].flatMap((m) => {
    const words = m[1]!.split(/\s+/).filter((word) => !word.startsWith('--from='));
    const to = words.pop()!;
    return words.map((from) => {
      const source = from.replace(/^\/src\//, '');
      return [source, to === './' ? source : to.replace(/^\.\//, '')] as [string, string];
    });
  });
  const json = (keyword: string) =>
    JSON.parse(new RegExp(`^${keyword} (\\[.*\\])$`, 'm').exec(stage)?.[1] ?? '[]') as string[];
  return {
    install,
    copies,
    entrypoint: json('ENTRYPOINT'),
    cmd: json('CMD'),
    user: /^USER (\S+)$/m.exec(stage)?.[1] ?? '',
  };
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done, output: () => stdout + stderr };
}

/** The environment of the image: nothing from this machine but PATH and HOME. */
function imageEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

const stage = runtimeStage();
let app: string;
let entry: string;
let running: ChildProcess | undefined;

beforeAll(async () => {
  expect(existsSync(join(packageRoot, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(
    true,
  );
  app = mkdtempSync(join(tmpdir(), 'pc-image-'));
  cpSync(join(packageRoot, 'package.json'), join(app, 'package.json'));
  cpSync(join(packageRoot, 'package-lock.json'), join(app, 'package-lock.json'));
  // From the local npm cache: every package is there already (the dev install put it there).
  const install = start(
    'npm',
    [...stage.install.slice(1), '--prefer-offline', '--loglevel=error'],
    app,
    { ...imageEnv(), npm_config_cache: join(process.env.HOME ?? '/root', '.npm') },
  );
  const installed = await install.done;
  expect(installed.code, installed.stderr).toBe(0);
  for (const [from, to] of stage.copies) {
    if (from === 'package.json' || from === 'package-lock.json') continue;
    cpSync(join(packageRoot, from), join(app, to), { recursive: true });
  }
  // ENTRYPOINT ["tini", "--", "prebuild-controller"]: the symlink to bin/docker-entrypoint.sh.
  entry = join(app, 'bin', 'docker-entrypoint.sh');
}, 300_000);

afterAll(() => {
  running?.kill('SIGKILL');
  if (app) rmSync(app, { recursive: true, force: true });
});

describe('the container image (runtime stage reproduced without a container engine)', () => {
  it('is built as the issue asks: production dependencies only, non-root, run by default', () => {
    expect(stage.install).toEqual([
      'npm',
      'ci',
      '--omit=dev',
      '--omit=optional',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
    ]);
    expect(stage.copies.map(([, to]) => to).sort()).toEqual(
      ['bin', 'dist', 'migrations', 'package-lock.json', 'package.json', 'schema', 'sql'].sort(),
    );
    expect(stage.entrypoint).toEqual(['tini', '--', 'prebuild-controller']);
    expect(stage.cmd).toEqual(['run']);
    expect(stage.user).not.toMatch(/^(0|root)(:|$)/);
    // No TypeScript, no test tools, no dev dependency at all.
    const lock = JSON.parse(readFileSync(join(packageRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const dev = Object.entries(lock.packages)
      .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev)
      .map(([path]) => path);
    expect(dev).toContain('node_modules/typescript');
    for (const path of dev) expect(existsSync(join(app, path)), path).toBe(false);
    expect(existsSync(join(app, 'src'))).toBe(false);
  });

  it('answers --help and --version through the entry point', async () => {
    const help = await start(entry, ['--help'], app, imageEnv()).done;
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: prebuild-controller/);
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const version = await start(entry, ['--version'], app, imageEnv()).done;
    expect(version.stdout).toBe(`${pkg.version}\n`);
  });

  it('refuses run, migrate, provisionerd and tokens without DATABASE_URL (no embedded PostgreSQL)', async () => {
    for (const command of [['run'], ['migrate'], ['provisionerd'], ['tokens', 'list']]) {
      const result = await start(entry, command, app, imageEnv()).done;
      expect(result.code, command.join(' ')).toBe(2);
      expect(result.stderr).toBe(
        'prebuild-controller: set DATABASE_URL (or DATABASE_URL_FILE): this image has no embedded PostgreSQL\n',
      );
    }
  });

  it('migrates an empty database, then runs and serves /readyz and /metrics until SIGTERM', async () => {
    const database = await createEmptyDatabase();
    try {
      const migrate = await start(entry, ['migrate'], app, imageEnv({ DATABASE_URL: database.url }))
        .done;
      expect(migrate.code, migrate.stderr).toBe(0);
      expect(migrate.stdout).toMatch(/^applied \d+ migration\(s\) to /);

      const [port, metricsPort] = [await freePort(), await freePort()];
      const run = start(
        entry,
        stage.cmd,
        app,
        imageEnv({
          DATABASE_URL: database.url,
          PREBUILD_CONTROLLER_LISTEN: `127.0.0.1:${port}`,
          PREBUILD_CONTROLLER_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
          PREBUILD_CONTROLLER_API_TOKEN: 'image-test-token',
        }),
      );
      running = run.child;
      await vi.waitFor(
        async () => {
          if (run.child.exitCode !== null) throw new Error(`run exited: ${run.output()}`);
          const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
          expect(ready.status).toBe(200);
        },
        { timeout: 30_000, interval: 200 },
      );
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(await metrics.text()).toMatch(/^prebuild_controller_build_info\{/m);
      const openapi = await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`);
      expect(openapi.status).toBe(200);
      run.child.kill('SIGTERM');
      const stopped = await run.done;
      running = undefined;
      expect(stopped.code, stopped.stderr).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
