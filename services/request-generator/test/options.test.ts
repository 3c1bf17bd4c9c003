import { describe, expect, it } from 'vitest';
import { HELP, parseArguments, UsageError } from '../src/options.ts';

function options(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseArguments(argv, env);
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
}

describe('parseArguments', () => {
  it('has defaults for everything', () => {
    expect(options([])).toMatchObject({
      scenario: 'steady',
      rate: 5,
      spikeRate: 40,
      spikeSeconds: 90,
      durationSeconds: 0,
      maxInFlight: 256,
      timeoutMs: 5000,
      reportEverySeconds: 10,
      json: false,
    });
    expect(options([]).target.href).toBe('http://127.0.0.1:3000/');
  });

  it('takes --check-config: the settings are checked and nothing is to be sent', () => {
    const parsed = parseArguments(['--check-config'], { RATE: '12' });
    expect(parsed).toMatchObject({ help: false, checkOnly: true, options: { rate: 12 } });
    expect(parseArguments([], {})).toMatchObject({ checkOnly: false });
    expect(() => parseArguments(['--check-config'], { RATE: 'lots' })).toThrow(
      /RATE \(environment\).*"lots"/,
    );
  });

  it('reads the environment, and a flag wins over it', () => {
    const env = { RATE: '12', SCENARIO: 'latency', TARGET_URL: 'http://webapp:3000' };
    expect(options([], env)).toMatchObject({ rate: 12, scenario: 'latency' });
    expect(options(['--rate', '7', '--scenario=spike'], env)).toMatchObject({ rate: 7, scenario: 'spike' });
    expect(options([], env).target.host).toBe('webapp:3000');
  });

  it('traces every request up to 10 a second by default, and only where an endpoint is set', () => {
    expect(options([])).toMatchObject({ traceSampleRatio: 1, tracesMaxPerSecond: 10 });
    expect(options([]).tracesEndpoint).toBeUndefined();
    const env = {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      TRACES_MAX_PER_SECOND: '50',
    };
    expect(parseArguments([], env)).toMatchObject({
      options: {
        tracesEndpoint: 'http://jaeger:4318/v1/traces',
        traceSampleRatio: 0.25,
        tracesMaxPerSecond: 50,
      },
    });
  });

  it('parses weights, and unnamed routes get 0', () => {
    const { weights } = options(['--weights', 'ep_one=3, error=1']);
    expect(weights).toMatchObject({ ep_one: 3, error: 1, ep_two: 0, not_found: 0 });
  });

  it.each([
    [['--rate', 'fast'], {}, /^--rate: expected a number from 0\.1 to 100000, got "fast"$/],
    [['--rate', '0'], {}, /^--rate: expected a number/],
    [[], { RATE: 'x' }, /^RATE \(environment\): expected a number/],
    [['--max-in-flight', '2.5'], {}, /^--max-in-flight: expected a whole number/],
    [
      ['--scenario', 'chaos'],
      {},
      /^--scenario: expected one of steady, spike, errors, latency, budget-burn, cpu, leak, got "chaos"$/,
    ],
    [['--target', 'ftp://x'], {}, /^--target: expected an http\(s\) URL/],
    [['--target', 'not a url'], {}, /^--target: expected an http\(s\) URL/],
    [['--weights', 'ep_nine=1'], {}, /^--weights: unknown route "ep_nine"/],
    [['--weights', 'ep_one'], {}, /^--weights: expected "route=weight,…"/],
    [['--weights', 'ep_one=0'], {}, /^--weights: at least one route needs a weight above 0/],
    [['--timeout=-5'], {}, /^--timeout: expected a number from 1/],
    [['--frobnicate'], {}, /^unknown flag --frobnicate$/],
    [['--rate'], {}, /--rate/],
    [
      ['--trace-sample-ratio', '1.5'],
      {},
      /^--trace-sample-ratio: expected a number from 0 to 1, got "1\.5"$/,
    ],
    [
      ['--traces-max-per-second', '0'],
      {},
      /^--traces-max-per-second: expected a number from 0\.01 to 100000, got "0"$/,
    ],
    [
      [],
      { OTEL_TRACES_SAMPLER_ARG: 'all' },
      /^OTEL_TRACES_SAMPLER_ARG \(environment\): expected a number from 0 to 1/,
    ],
    [
      ['--traces-endpoint', 'jaeger:4318'],
      {},
      /^--traces-endpoint: expected an http\(s\) URL, got "jaeger:4318"$/,
    ],
  ])('rejects %j %j naming the flag', (argv, env, message) => {
    expect(() => parseArguments(argv, env)).toThrowError(UsageError);
    expect(() => parseArguments(argv, env)).toThrowError(message);
  });

  it('answers --help with the help text, which lists every flag and its variable', () => {
    expect(parseArguments(['--help'])).toEqual({ help: true });
    for (const text of [
      '--rate',
      'RATE',
      '--scenario',
      'SCENARIO',
      '--weights',
      'WEIGHTS',
      '--json',
      'Exit codes',
    ]) {
      expect(HELP).toContain(text);
    }
  });
});
