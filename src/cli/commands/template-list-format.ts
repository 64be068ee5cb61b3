import type { PresetSummary, TemplateSummary } from '../../templates/list.js';

function prebuildLine(preset: PresetSummary): string {
  const prebuilds = preset.prebuilds;
  if (!prebuilds) return 'no prebuilds';
  const parts = [`instances ${prebuilds.instances}`];
  if (prebuilds.expiration_policy.ttl > 0) parts.push(`ttl ${prebuilds.expiration_policy.ttl}s`);
  if (prebuilds.scheduling) {
    const schedules = prebuilds.scheduling.schedule
      .map((entry) => `"${entry.cron}" -> ${entry.instances}`)
      .join(', ');
    parts.push(`${prebuilds.scheduling.timezone}: ${schedules}`);
  }
  parts.push(`desired now ${prebuilds.desired_now}`);
  if (prebuilds.next_change) {
    parts.push(`-> ${prebuilds.next_change.desired} at ${prebuilds.next_change.at.toISOString()}`);
  }
  if (prebuilds.schedule_error) parts.push(`SCHEDULE ERROR: ${prebuilds.schedule_error}`);
  if (preset.prebuild_status !== 'healthy') parts.push(`status ${preset.prebuild_status}`);
  return parts.join('; ');
}

/** `template list` for people: one line per template, one per preset below it. */
export function formatTemplateList(templates: readonly TemplateSummary[]): string {
  if (templates.length === 0) return 'no templates yet (push one with: template push FILE)\n';
  const lines: string[] = [];
  for (const template of templates) {
    const version = template.active_version
      ? `active ${template.active_version.name} (${template.active_version.created_at.toISOString()}${
          template.active_version.pushed_by ? `, by ${template.active_version.pushed_by}` : ''
        })`
      : 'no active version';
    const deprecated = template.deprecated ? `, deprecated: ${template.deprecated}` : '';
    lines.push(
      `${template.organization}/${template.name}  ${version}  provisioner ${template.provisioner}${deprecated}`,
    );
    const width = Math.max(0, ...template.presets.map((p) => p.name.length + (p.default ? 10 : 0)));
    for (const preset of template.presets) {
      const label = `${preset.name}${preset.default ? ' (default)' : ''}`;
      lines.push(`  ${label.padEnd(width)}  ${prebuildLine(preset)}`);
    }
  }
  return lines.join('\n') + '\n';
}
