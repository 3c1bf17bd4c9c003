// docs/runbooks.md is the one source of the runbooks. From it come a Grafana dashboard (one text
// panel per alert, so a runbook link works wherever Grafana does, offline too) and an Alertmanager
// template with each alert's first steps, so an email helps even where no link opens.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const RUNBOOKS_DASHBOARD_UID = 'fos-runbooks';
const RUNBOOKS_DASHBOARD_PATH = `/d/${RUNBOOKS_DASHBOARD_UID}/alert-runbooks`;

/**
 * The stacks an email can come from (render-config.sh's STACK): a runbook paragraph tagged
 * "**Act (make up-local):**" or "**Act (Kubernetes):**" takes the place of the plain "**Act:**"
 * in the emails of that stack, so that each gets the steps that work there.
 */
export const STACKS = { compose: '', local: 'make up-local', kubernetes: 'Kubernetes' } as const;
export type StackName = keyof typeof STACKS;

/**
 * A paragraph tagged "**Act (your service):**" is what the email says, in every stack, when the
 * alert's job is not one the stack scrapes by itself (a service of the user's): the demo's
 * commands (`docker compose up -d webapp`) would not help there.
 */
const OWN_SERVICE_TAG = 'your service';

export interface Runbook {
  /** The alert name: the section's `## ` heading. */
  alert: string;
  /** The panel id in the runbooks dashboard: the section's position, from 1. */
  panelId: number;
  /** The section's Markdown, links to other sections rewritten to their panels. */
  markdown: string;
  /** Plain-text "Confirm: …" and "Act: …" paragraphs for each stack's emails. */
  firstSteps: Record<StackName, string[]>;
  /** ...and for an alert on a service of the user's, where they differ (else empty). */
  ownServiceSteps: string[];
}

/** Where an alert's runbook_url points: a path under GRAFANA_URL. */
export function runbookPath(panelId: number): string {
  return `${RUNBOOKS_DASHBOARD_PATH}?viewPanel=${panelId}`;
}

let runbooks: Runbook[] | undefined;

/**
 * The jobs the stack scrapes by itself: prometheus.yml's scrape jobs but the targets file's, which
 * holds the user's services. Their alerts get the stack's own steps.
 */
export function stackJobs(): string[] {
  const config = parse(readFileSync(new URL('../../prometheus/prometheus.yml', import.meta.url), 'utf8')) as {
    scrape_configs: { job_name: string; file_sd_configs?: unknown }[];
  };
  return config.scrape_configs.filter((scrape) => !scrape.file_sd_configs).map((scrape) => scrape.job_name);
}

/** docs/runbooks.md, parsed once: every mirrored panel's link and both generated files read it. */
export function readRunbooks(): Runbook[] {
  runbooks ??= parseRunbooks(readFileSync(new URL('../../docs/runbooks.md', import.meta.url), 'utf8'));
  return runbooks;
}

export function parseRunbooks(markdown: string): Runbook[] {
  const sections = markdown.split(/^## /m).slice(1);
  const ids = new Map(sections.map((section, i) => [anchor(headingOf(section)), i + 1]));
  return sections.map((section, i) => {
    const alert = headingOf(section);
    const body = section.slice(section.indexOf('\n') + 1).trim();
    if (body.includes('{{'))
      throw new Error(`docs/runbooks.md, ${alert}: "{{" would break the email template`);
    const withPanelLinks = body.replace(/\]\(#([a-z0-9-]+)\)/g, (_link, target: string) => {
      const id = ids.get(target);
      if (!id) throw new Error(`docs/runbooks.md, ${alert}: link to #${target}, which is no section`);
      return `](${runbookPath(id)})`;
    });
    const paragraphs = body.split(/\n\s*\n/);
    const step = (kind: string, stack: StackName | typeof OWN_SERVICE_TAG) => {
      const name = stack === OWN_SERVICE_TAG ? stack : STACKS[stack];
      const tag = name ? ` \\(${name}\\)` : '';
      const found = paragraphs.find((paragraph) => new RegExp(`^\\*\\*${kind}${tag}:\\*\\*`).test(paragraph));
      // "**Act (make up-local):** …" reads "Act: …" in the email of that stack.
      return found === undefined
        ? undefined
        : plainText(found.replace(/^\*\*(\w+) \([^)]*\):\*\*/, '**$1:**'));
    };
    const stepsFor = (stack: StackName) =>
      ['Confirm', 'Act'].flatMap((kind) => step(kind, stack) ?? step(kind, 'compose') ?? []);
    const firstSteps = {
      compose: stepsFor('compose'),
      local: stepsFor('local'),
      kubernetes: stepsFor('kubernetes'),
    };
    if (firstSteps.compose.length === 0)
      throw new Error(`docs/runbooks.md, ${alert}: no **Confirm:** or **Act:** paragraph`);
    // A step with no "(your service)" paragraph is the Compose one, where the other has one.
    const ownServiceSteps = ['Confirm', 'Act'].some((kind) => step(kind, OWN_SERVICE_TAG))
      ? ['Confirm', 'Act'].flatMap((kind) => step(kind, OWN_SERVICE_TAG) ?? step(kind, 'compose') ?? [])
      : [];
    return { alert, panelId: i + 1, markdown: withPanelLinks, firstSteps, ownServiceSteps };
  });
}

function headingOf(section: string): string {
  return section.slice(0, section.indexOf('\n')).trim();
}

/** GitHub's anchor of a heading. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

/** One line of plain text: no emphasis, links as their text, code spans kept. */
function plainText(paragraph: string): string {
  return paragraph
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/(^|\W)\*(.+?)\*(?=\W|$)/g, '$1$2')
    .replace(/\[([^\]]+)\]\([^)]+\)/g, '$1')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/** A step as HTML: text escaped, `code` spans as <code> (the HTML email showed the backticks raw). */
function stepHtml(step: string): string {
  const escaped = step
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return escaped.replace(/`([^`]+)`/g, '<code>$1</code>');
}

/**
 * The Alertmanager templates `fos.runbook.steps` and `fos.runbook.steps.html`: given an alert, its
 * first steps for the stack render-config.sh names in ${STACK} (or, on a job that is none of
 * `stackJobs`, those for a service of the user's), one a line, each indented by four spaces (the
 * text email's layout), or as HTML, a line each (the HTML email).
 */
export function runbooksTemplate(runbooks: Runbook[], stackJobs: readonly string[]): string {
  const ofTheStack = `or ${stackJobs.map((job) => `(eq .Labels.job "${job}")`).join(' ')}`;
  const forService = (runbook: Runbook, render: (steps: readonly string[]) => string) =>
    runbook.ownServiceSteps.length === 0
      ? forStacks(runbook, render)
      : `{{ if ${ofTheStack} }}${forStacks(runbook, render)}{{ else }}${render(runbook.ownServiceSteps)}{{ end }}`;
  // One alert's steps: the Compose ones, and another stack's only where they differ.
  const forStacks = (runbook: Runbook, render: (steps: readonly string[]) => string) => {
    const compose = render(runbook.firstSteps.compose);
    const others = (['local', 'kubernetes'] as const).filter(
      (stack) => render(runbook.firstSteps[stack]) !== compose,
    );
    if (others.length === 0) return compose;
    const branches = others.map(
      (stack, i) =>
        `${i === 0 ? '{{ if' : '{{ else if'} eq "\${STACK}" "${stack}" }}${render(runbook.firstSteps[stack])}`,
    );
    return `${branches.join('')}{{ else }}${compose}{{ end }}`;
  };
  // No trimming after `}}`: the first step keeps its indentation; `{{-` drops each branch's last newline.
  const define = (name: string, render: (steps: readonly string[]) => string) =>
    `{{ define "${name}" -}}
${runbooks
  .map(
    (runbook, i) =>
      `${i === 0 ? '{{ if' : '{{- else if'} eq .Labels.alertname "${runbook.alert}" }}${forService(runbook, render)}\n`,
  )
  .join('')}{{- end }}
{{- end }}
`;
  return `{{/* Generated from docs/runbooks.md by grafana/src/generate.ts (make dashboards): edit the runbooks there. */}}

${define('fos.runbook.steps', (steps) => steps.map((step) => `    ${step}`).join('\n'))}
${define('fos.runbook.steps.html', (steps) => steps.map(stepHtml).join('<br>'))}`;
}
