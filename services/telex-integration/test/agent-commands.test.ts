import { describe, expect, it } from 'vitest';
import { formatDuration, parseCommand, parseDuration, plainText } from '../src/agent/commands.ts';

describe('plainText', () => {
  it('drops the HTML Telex sends and decodes its entities', () => {
    expect(plainText('<p>what is <b>firing</b>?</p>')).toBe('what is firing?');
    expect(plainText('<p>silence&nbsp;X for 1h because a &amp; b &lt;3 &#39;ok&#39; &#x263A;</p>')).toBe(
      "silence X for 1h because a & b <3 'ok' ☺",
    );
    expect(plainText('<p>one</p><p>two<br/>three</p>')).toBe('one two three');
  });
});

describe('parseDuration', () => {
  it.each([
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['90 minutes', 5_400_000],
    ['1 day', 86_400_000],
    ['2 hours and 15 minutes', 8_100_000],
    ['45s', 45_000],
  ])('reads %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '2', 'h', '0m', '2 weeks'])('refuses %j', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});

describe('parseCommand', () => {
  it.each([
    ['health', { skill: 'health' }],
    ['health report', { skill: 'health' }],
    ['how is checkout doing?', { skill: 'health', service: 'checkout' }],
    ['what is the health of the checkout service', { skill: 'health', service: 'checkout' }],
    ['health report for api/v2', { skill: 'health', service: 'api/v2' }],
    ['status', { skill: 'health' }],
    ['what is firing?', { skill: 'firing' }],
    ['any alerts?', { skill: 'firing' }],
    ["what's wrong", { skill: 'firing' }],
  ])('%j asks %o', (text, command) => expect(parseCommand(text)).toEqual(command));

  it('reads a silence: the alert, the service, how long and why', () => {
    expect(parseCommand('silence HighLatencyP95 on checkout for 2h because we are deploying')).toEqual({
      skill: 'silence',
      alertname: 'HighLatencyP95',
      service: 'checkout',
      durationMs: 7_200_000,
      reason: 'we are deploying',
    });
    expect(parseCommand('mute InstanceDown for 30 minutes')).toEqual({
      skill: 'silence',
      alertname: 'InstanceDown',
      durationMs: 1_800_000,
    });
  });

  it('keeps a silence without a duration as one, so that the agent can ask for it', () => {
    expect(parseCommand('silence HighCPU because noisy')).toEqual({
      skill: 'silence',
      alertname: 'HighCPU',
      reason: 'noisy',
    });
  });

  it('reads the end of a silence by its id', () => {
    expect(parseCommand('unsilence 0b4a3c5e-1f2a-4a66-9f7e-3e1c2d4b5a6f')).toEqual({
      skill: 'expire-silence',
      id: '0b4a3c5e-1f2a-4a66-9f7e-3e1c2d4b5a6f',
    });
  });

  it('answers anything else with help, naming what it did not understand', () => {
    expect(parseCommand('hello')).toEqual({ skill: 'help' });
    expect(parseCommand('')).toEqual({ skill: 'help' });
    expect(parseCommand('drop table users')).toEqual({ skill: 'help', unknown: 'drop table users' });
    expect(parseCommand('silence {job=~".*"} for 1h')).toEqual({
      skill: 'help',
      unknown: 'silence {job=~".*"} for 1h',
    });
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0m'],
    [90_000, '2m'],
    [5_400_000, '1h 30m'],
    [7 * 86_400_000, '7d'],
    [86_400_000 + 60_000, '1d 1m'],
  ])('%i ms is %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
