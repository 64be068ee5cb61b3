import { describe, expect, it } from 'vitest';

import { loadRules, loadRulesTest, RULES_FILE } from './alerts.js';
import { promqlRefs } from './promql.js';

const groups = loadRules();
const rules = groups.flatMap((group) => group.rules);
const tests = loadRulesTest();

/** What the brief asks the rules to cover, by alert name. */
const REQUIRED = [
  'PrebuildControllerIneligiblePrebuilds',
  'PrebuildControllerUnprovisionedPrebuilds',
  'PrebuildControllerPresetHardLimited',
  'PrebuildControllerReconciliationPaused',
  'PrebuildControllerReconciliationStalled',
  'PrebuildControllerReconciliationFailing',
  'PrebuildControllerJobQueueBacklog',
  'PrebuildControllerJobsWaitingTooLong',
  'PrebuildControllerJobsReaped',
  'PrebuildControllerNotificationDeliveryFailing',
  'PrebuildControllerLifecycleJobsFailing',
  'PrebuildControllerDown',
  'PrebuildControllerNoReconciliation',
  'PrebuildControllerNoLifecycle',
];

describe(`grafana/alerts/${RULES_FILE}`, () => {
  it('has uniquely named alerts in named groups, the required ones among them', () => {
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) expect(group.name).toMatch(/^prebuild-controller-/);
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each(rules)('$alert has expr, for, a severity, a summary and a description', (rule) => {
    expect(rule.alert).toMatch(/^PrebuildController[A-Z][A-Za-z]+$/);
    expect(typeof rule.expr).toBe('string');
    expect(rule.expr.trim()).not.toBe('');
    expect(rule.for).toMatch(/^(\d+[smhdwy])+$/);
    expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
    expect(rule.annotations.summary).toMatch(/^[A-Z].*\.$/);
    expect(rule.annotations.description).toMatch(/\S/);
  });

  it.each(rules)('$alert: its annotations use only labels its expr keeps', (rule) => {
    // The rules aggregate, so only the grouping labels survive; any other $labels.x renders empty.
    const kept = new Set(promqlRefs(rule.expr).grouping);
    const text = `${rule.annotations.summary} ${rule.annotations.description}`;
    for (const [, label] of text.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      expect(kept.has(label!), `${rule.alert} uses $labels.${label}`).toBe(true);
    }
    // absent() has no series to keep labels from (it fires when every replica is gone): it
    // names the job in its selector instead.
    if (/^\s*absent\(/.test(rule.expr)) {
      expect(rule.expr).toContain('job="prebuild-controller"');
      return;
    }
    expect(kept.has('job'), `${rule.alert} keeps job`).toBe(true);
  });

  it('has promtool unit tests that make every alert fire', () => {
    expect(tests.rule_files).toEqual([RULES_FILE]);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    const known = new Set(rules.map((rule) => rule.alert));
    for (const testCase of cases) expect(known.has(testCase.alertname)).toBe(true);
    const firing = new Set(
      cases.filter((testCase) => testCase.exp_alerts.length > 0).map((c) => c.alertname),
    );
    expect([...known].filter((name) => !firing.has(name))).toEqual([]);
  });
});
