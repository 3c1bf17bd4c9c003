import { JOB_PATTERN } from '../settings.ts';

/** What a channel asked for, read from its words: one of the agent's skills, or help. */
export type Command =
  | { skill: 'health'; service?: string }
  | { skill: 'firing' }
  | {
      skill: 'silence';
      alertname: string;
      service?: string;
      /** Absent: the channel gave none, and the silence is refused. */
      durationMs?: number;
      reason?: string;
    }
  | { skill: 'expire-silence'; id: string }
  | { skill: 'help'; unknown?: string };

export const AGENT_SKILLS = ['health', 'firing', 'silence', 'expire-silence', 'help'] as const;

/** Longer silences are refused: a forgotten one hides every later incident of that alert. */
export const MAX_SILENCE_MS = 7 * 24 * 3600 * 1000;

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

/** Telex sends rich text as HTML: the words without tags and entities, on one line. */
export function plainText(text: string): string {
  return text
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/li>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(#?\w+);/g, (whole, name: string) => {
      if (ENTITIES[name] !== undefined) return ENTITIES[name];
      const code = /^#(\d+)$/.exec(name)?.[1] ?? /^#x([0-9a-f]+)$/i.exec(name)?.[1];
      if (code === undefined) return whole;
      const value = Number.parseInt(code, name.startsWith('#x') ? 16 : 10);
      return Number.isFinite(value) && value > 0 && value < 0x110000 ? String.fromCodePoint(value) : whole;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

const UNITS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** "2h", "1h30m", "90 minutes", "1 day": milliseconds, or undefined when it is none of these. */
export function parseDuration(text: string): number | undefined {
  const unit = '(d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)';
  const whole = new RegExp(`^(?:\\d+\\s*${unit}\\s*)+$`, 'i');
  const compact = text.replace(/\s+and\s+/gi, ' ').trim();
  if (!whole.test(compact)) return undefined;
  let total = 0;
  for (const [, amount, name] of compact.matchAll(new RegExp(`(\\d+)\\s*${unit}`, 'gi'))) {
    total += Number(amount) * (UNITS[(name ?? '').charAt(0).toLowerCase()] ?? 0);
  }
  return total > 0 ? total : undefined;
}

/** The first unit-bearing run after "for": a silence's duration. */
const DURATION_AFTER_FOR =
  /\bfor\s+((?:\d+\s*(?:d|days?|h|hrs?|hours?|m|mins?|minutes?|s|secs?|seconds?)\b\s*(?:and\s+)?)+)/i;
const ALERT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Words that may follow "health" and are not a service: "health report", "health of the webapp".
const NOT_A_SERVICE = new Set([
  'report',
  'check',
  'status',
  'now',
  'please',
  'the',
  'my',
  'our',
  'of',
  'for',
  'service',
]);

function serviceAfter(words: string): string | undefined {
  const match = /\b(?:of|for|on|service)\s+(?:the\s+)?(?:service\s+)?([A-Za-z_][A-Za-z0-9_./-]*)/i.exec(
    words,
  );
  const candidate = match?.[1]?.replace(/[.?!,]+$/, '');
  if (candidate && !NOT_A_SERVICE.has(candidate.toLowerCase()) && JOB_PATTERN.test(candidate))
    return candidate;
  return undefined;
}

function parseSilence(rest: string): Command {
  const [first = '', ...others] = rest.trim().split(/\s+/);
  const alertname = first.replace(/[.?!,]+$/, '');
  if (!ALERT_NAME.test(alertname)) return { skill: 'help', unknown: `silence ${rest.trim()}` };
  const words = others.join(' ');
  const reasonMatch = /\b(?:because|reason:?)\s+(.+)$/i.exec(words);
  const beforeReason = reasonMatch ? words.slice(0, reasonMatch.index) : words;
  const durationText = DURATION_AFTER_FOR.exec(beforeReason)?.[1];
  const durationMs = durationText ? parseDuration(durationText) : undefined;
  const service = serviceAfter(beforeReason.replace(DURATION_AFTER_FOR, ' '));
  return {
    skill: 'silence',
    alertname,
    ...(service ? { service } : {}),
    ...(durationMs ? { durationMs } : {}),
    ...(reasonMatch?.[1] ? { reason: reasonMatch[1].trim() } : {}),
  };
}

/** Reads one message's words (already plain text) into a command; anything else is help. */
export function parseCommand(text: string): Command {
  const words = text.trim();
  const silence = /^(?:please\s+)?(?:silence|mute|snooze)\s+(.*)$/i.exec(words);
  if (silence) return parseSilence(silence[1] ?? '');
  const expire =
    /^(?:please\s+)?(?:unsilence|unmute|expire(?:\s+silence)?|end\s+silence)\s+([0-9a-f-]{8,64})\b/i.exec(
      words,
    );
  if (expire?.[1]) return { skill: 'expire-silence', id: expire[1].toLowerCase() };
  if (/\b(firing|alerts?|alerting|what'?s\s+wrong|incidents?)\b/i.test(words)) return { skill: 'firing' };
  const health = /\b(health|healthy|report|status|how\s+is|how'?s)\b(.*)$/i.exec(words);
  if (health) {
    const after = health[2] ?? '';
    const service =
      serviceAfter(after) ??
      (() => {
        const next = /^\s*([A-Za-z_][A-Za-z0-9_./-]*)/.exec(after)?.[1]?.replace(/[.?!,]+$/, '');
        return next && !NOT_A_SERVICE.has(next.toLowerCase()) && JOB_PATTERN.test(next) ? next : undefined;
      })();
    return { skill: 'health', ...(service ? { service } : {}) };
  }
  return words === '' || /^(help|\?|hi|hello|what can you do)\b/i.test(words)
    ? { skill: 'help' }
    : { skill: 'help', unknown: words };
}

/** "2h 30m" for a duration in milliseconds, whole minutes. */
export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  return [days ? `${days}d` : '', hours ? `${hours}h` : '', rest || minutes === 0 ? `${rest}m` : '']
    .filter(Boolean)
    .join(' ');
}
