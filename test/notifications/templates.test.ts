import { describe, expect, it } from 'vitest';

import {
  NotificationPayloadError,
  renderNotification,
  TEMPLATE_NAMES,
  validatePayload,
} from '../../src/notifications/templates.js';

const WS = '11111111-1111-4111-8111-111111111111';
const NOW = new Date('2025-06-04T12:00:00Z');

describe('renderNotification', () => {
  it.each([
    [
      'autostop_reminder',
      { workspace_id: WS, workspace: 'dev', deadline: '2025-06-04T12:30:00Z' },
      'Workspace "dev" will stop soon',
      'Your workspace "dev" will stop automatically at 2025-06-04 12:30 UTC (in 30 minutes). Use it or extend its deadline to keep it running.',
    ],
    [
      'workspace_dormant',
      {
        workspace_id: WS,
        workspace: 'dev',
        reason: 'it was not used for 30 days',
        deleting_at: '2025-06-11T12:00:00Z',
      },
      'Workspace "dev" is dormant',
      'Your workspace "dev" was marked dormant because it was not used for 30 days. It will be deleted at 2025-06-11 12:00 UTC (in 7 days) unless you use it.',
    ],
    [
      'workspace_marked_for_deletion',
      {
        workspace_id: WS,
        workspace: 'dev',
        reason: 'the template changed its dormancy policy',
        deleting_at: '2025-06-05T12:00:00Z',
      },
      'Workspace "dev" is marked for deletion',
      'Your workspace "dev" will be deleted at 2025-06-05 12:00 UTC (in 24 hours) because the template changed its dormancy policy.',
    ],
    [
      'workspace_deleted',
      {
        workspace_id: WS,
        workspace: 'dev',
        reason: 'autodeleted due to dormancy',
        initiator: 'autobuild',
      },
      'Workspace "dev" was deleted',
      'Your workspace "dev" was deleted by autobuild: autodeleted due to dormancy.',
    ],
    [
      'workspace_autobuild_failed',
      {
        workspace_id: WS,
        workspace: 'dev',
        reason: 'autostart',
        transition: 'start',
        error: 'exit status 1',
      },
      'Automatic start of workspace "dev" failed',
      'The autostart build (start) of your workspace "dev" failed. Error: exit status 1',
    ],
    [
      'workspace_auto_updated',
      { workspace_id: WS, workspace: 'dev', template_version: 'v7', reason: 'autostart' },
      'Workspace "dev" was updated to v7',
      'Your workspace "dev" was updated to template version v7 on autostart.',
    ],
    [
      'prebuild_preset_hard_limited',
      { template: 'dev-env', preset: 'us-nix', template_version: 'v7', failed_builds: 3 },
      'Prebuilds of preset "us-nix" stopped after repeated failures',
      'The last 3 prebuild builds of preset "us-nix" of template "dev-env" (version v7) failed, so no more prebuilds are created for it. Fix the template and push a new version, or reset the preset.',
    ],
    [
      'prebuild_delete_given_up',
      {
        template: 'dev-env',
        preset: 'us-nix',
        workspace_id: WS,
        workspace: 'prebuild-abc',
        failed_deletes: 5,
      },
      'Prebuilt workspace "prebuild-abc" could not be deleted',
      'Deleting prebuilt workspace "prebuild-abc" of preset "us-nix" of template "dev-env" failed 5 times in a row, so it is no longer retried. Look at its last delete build, fix the cause, and delete it by hand.',
    ],
  ])('%s', (template, payload, title, body) => {
    expect(validatePayload(template, payload)).toEqual(payload);
    expect(renderNotification(template, payload, NOW)).toEqual({ title, body });
  });

  it('covers every template', () => {
    expect(TEMPLATE_NAMES).toHaveLength(8);
  });

  it('renders an unknown template or a stored payload that no longer fits generically', () => {
    expect(renderNotification('something_new', { a: 1 }, NOW)).toEqual({
      title: 'Notification: something_new',
      body: '{"a":1}',
    });
  });

  it('says when a time has passed', () => {
    const { body } = renderNotification(
      'autostop_reminder',
      { workspace_id: WS, workspace: 'dev', deadline: '2025-06-04T11:00:00Z' },
      NOW,
    );
    expect(body).toContain('at 2025-06-04 11:00 UTC.');
  });
});

describe('validatePayload', () => {
  it('names unknown templates and bad fields', () => {
    expect(() => validatePayload('nope', {})).toThrow(
      /template: unknown template \(known: autostop_reminder/,
    );
    expect(() =>
      validatePayload('workspace_deleted', { workspace_id: 'x', workspace: 'dev' }),
    ).toThrow(NotificationPayloadError);
    expect(() =>
      validatePayload('workspace_deleted', {
        workspace_id: WS,
        workspace: 'dev',
        reason: 'r',
        initiator: 'i',
        extra: 1,
      }),
    ).toThrow(/Unrecognized key\(s\) in object: 'extra'/);
  });
});
