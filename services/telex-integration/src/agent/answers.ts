import type { AlertmanagerAlert } from '../alertmanager.ts';
import { type EvidenceTargets, evidenceLinks, profileEvidence } from '../evidence.ts';
import { format } from '../health-report.ts';
import { formatDuration, MAX_SILENCE_MS } from './commands.ts';

/**
 * How an answer is written: Markdown where the caller accepts it, else plain text that reads the same
 * (links written out, which chat clients turn into links themselves).
 */
export interface Style {
  mediaType: 'text/markdown' | 'text/plain';
  bold(text: string): string;
  link(label: string, url: string): string;
  code(text: string): string;
}

export const markdown: Style = {
  mediaType: 'text/markdown',
  bold: (text) => `**${text}**`,
  link: (label, url) => `[${label}](${url})`,
  code: (text) => `\`${text}\``,
};

export const plain: Style = {
  mediaType: 'text/plain',
  bold: (text) => text,
  link: (label, url) => `${label}: ${url}`,
  code: (text) => text,
};

/** Markdown unless the caller named the output modes it accepts and Markdown is not among them. */
export function styleFor(acceptedOutputModes: readonly string[] | undefined): Style {
  if (!acceptedOutputModes || acceptedOutputModes.length === 0) return markdown;
  return acceptedOutputModes.some((mode) => mode === 'text/markdown' || mode === '*/*') ? markdown : plain;
}

/** Where an answer's links open: Grafana (empty: none), the backends, and Alertmanager. */
export interface Links extends EvidenceTargets {
  /** The Alertmanager UI the channel reaches. */
  alertmanagerUrl: string;
}

/** The dashboard an alert's email links to (alertmanager/templates/email.tmpl, fos.dashboard). */
export function dashboardPath(labels: Record<string, string>): string {
  if (labels.sloth_service) {
    return `/d/fos-slo/service-level-objectives?var-service=${encodeURIComponent(labels.sloth_service)}`;
  }
  return `/d/fos-service/service-overview${labels.job ? `?var-service=${encodeURIComponent(labels.job)}` : ''}`;
}

const SEVERITY_ORDER = ['critical', 'warning', 'info'];
/** critical first, then warning, info, anything else; the oldest first within one. */
const rank = (alert: AlertmanagerAlert) => {
  const index = SEVERITY_ORDER.indexOf(alert.labels.severity ?? '');
  return index < 0 ? SEVERITY_ORDER.length : index;
};
const bySeverity = (a: AlertmanagerAlert, b: AlertmanagerAlert) =>
  rank(a) - rank(b) || a.startsAt.localeCompare(b.startsAt);

function since(startsAt: string, now: Date): string {
  const ms = now.getTime() - Date.parse(startsAt);
  if (!Number.isFinite(ms) || ms < 0) return 'a moment';
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : formatDuration(ms);
}

function where(labels: Record<string, string>): string {
  const parts = [labels.job, labels.instance].filter((value): value is string => Boolean(value));
  return parts.length ? ` on ${parts.join(' ')}` : '';
}

/** What fires now, most severe first, each with its runbook, dashboard and query; the silenced counted. */
export function firingAnswer(
  alerts: readonly AlertmanagerAlert[],
  links: Links,
  now: Date,
  style: Style,
): string {
  // severity "none" is the Watchdog heartbeat: always firing, news only when it is missing.
  const heartbeat = alerts.some((alert) => alert.labels.severity === 'none');
  const real = alerts.filter((alert) => alert.labels.severity !== 'none');
  const firing = real.filter((alert) => alert.status.state === 'active').sort(bySeverity);
  const suppressed = real.filter((alert) => alert.status.state === 'suppressed');
  const muted = suppressed.length
    ? `${suppressed.length} more ${suppressed.length === 1 ? 'is' : 'are'} silenced or inhibited: ${style.link('silences', `${links.alertmanagerUrl}/#/silences`)}`
    : '';
  const noHeartbeat = heartbeat
    ? ''
    : 'No Watchdog heartbeat reaches Alertmanager: alerting itself may be broken (runbook: docs/runbooks.md, section Watchdog).';
  if (firing.length === 0) {
    return [style.bold('Nothing is firing.'), muted, noHeartbeat].filter(Boolean).join('\n');
  }
  const lines = [style.bold(`${firing.length} alert${firing.length === 1 ? '' : 's'} firing:`)];
  for (const alert of firing) {
    const { labels, annotations } = alert;
    const headline = `${style.bold(labels.alertname ?? 'unnamed')} (${labels.severity ?? 'no severity'})${where(labels)}, for ${since(alert.startsAt, now)}`;
    const refs = [
      links.grafanaUrl && annotations.runbook_url
        ? style.link('runbook', `${links.grafanaUrl}${annotations.runbook_url}`)
        : `runbook: docs/runbooks.md, section ${labels.alertname ?? ''}`,
      ...(links.grafanaUrl ? [style.link('dashboard', `${links.grafanaUrl}${dashboardPath(labels)}`)] : []),
      ...(alert.generatorURL ? [style.link('query', alert.generatorURL)] : []),
    ];
    // The slow or failed traces of its window and the service's lines, as its email links them.
    const evidence = evidenceLinks(alert, links);
    if (evidence?.traces) refs.push(style.link(evidence.title.toLowerCase(), evidence.traces));
    if (evidence?.logs) refs.push(style.link('logs', evidence.logs));
    lines.push(`- ${headline}: ${annotations.summary ?? ''}`.trimEnd(), `  ${refs.join(' · ')}`);
    // The profile taken while it was pending, as its email names it.
    const profile = profileEvidence(alert, links.profilesUrl);
    if (profile?.problem) lines.push(`  profile: no profile: ${profile.problem}`);
    else if (profile) {
      const open = [
        ...(profile.view ? [style.link('flame graph', profile.view)] : []),
        ...(profile.pprof ? [style.link('pprof', profile.pprof)] : []),
      ];
      lines.push(`  profile (${profile.title}): ${[profile.functions.join('; '), ...open].join(' · ')}`);
    }
  }
  if (muted) lines.push(muted);
  if (noHeartbeat) lines.push(noHeartbeat);
  lines.push(style.link('Alertmanager', `${links.alertmanagerUrl}/#/alerts`));
  return lines.join('\n');
}

export interface SilenceMade {
  id: string;
  matchers: { name: string; value: string }[];
  endsAt: Date;
  createdBy: string;
  comment: string;
  /** Alerts firing now that it mutes. */
  muting: number;
}

export function silenceAnswer(made: SilenceMade, links: Links, style: Style): string {
  const what = made.matchers.map((m) => `${m.name}="${m.value}"`).join(', ');
  return [
    `${style.bold('Silenced')} ${style.code(what)} until ${format.time(made.endsAt)}: ${made.muting ? `it mutes ${made.muting} alert${made.muting === 1 ? '' : 's'} firing now` : 'nothing matching fires now; it mutes the alert if it fires before then'}.`,
    `Asked by ${made.createdBy}: ${made.comment}`,
    `${style.link('silence', `${links.alertmanagerUrl}/#/silences/${made.id}`)} · end it early: ${style.code(`unsilence ${made.id}`)}`,
  ].join('\n');
}

export function silenceNeedsDuration(alertname: string, style: Style): string {
  return `Not silenced: say for how long, e.g. ${style.code(`silence ${alertname} for 1h because we are deploying`)} (at most ${formatDuration(MAX_SILENCE_MS)}).`;
}

export function silenceTooLong(durationMs: number, style: Style): string {
  return `Not silenced: ${formatDuration(durationMs)} is longer than the ${formatDuration(MAX_SILENCE_MS)} a silence may last here; ask again with a shorter one, e.g. ${style.code('for 2h')}.`;
}

export function expiredAnswer(id: string, style: Style): string {
  return `${style.bold('Silence ended')}: ${style.code(id)}; its alerts notify again.`;
}

export function helpAnswer(defaultService: string, unknown: string | undefined, style: Style): string {
  return [
    unknown ? `I did not understand ${style.code(unknown.slice(0, 80))}. I can:` : 'I can:',
    `- report a service's health: ${style.code('health')} (${defaultService}) or ${style.code('health of checkout')}`,
    `- say what is firing now: ${style.code('what is firing?')}`,
    `- silence an alert for a while: ${style.code('silence HighLatencyP95 for 2h because we are deploying')} (add ${style.code('on <service>')} to silence it for one service; ${style.code('unsilence <id>')} ends it)`,
  ].join('\n');
}

/** The interval report's message, its headline in bold where Markdown is read. */
export function healthAnswer(message: string, style: Style): string {
  const [headline = '', ...rest] = message.split('\n');
  return [style.bold(headline), ...rest].join('\n');
}
