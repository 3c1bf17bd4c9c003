import { resolve } from 'node:path';
import { parseCommand, startedMessage, statusLines, upLocalSettings } from '@fos/stack/up-local-settings';
import { describe, expect, it } from 'vitest';

describe('up-local settings', () => {
  it('defaults to the Compose ports of .env.example, so the README URLs hold for both stacks', () => {
    expect(upLocalSettings({})).toEqual({
      ports: {
        prometheus: 9090,
        alertmanager: 9093,
        alertmanager2: 9095,
        maildev: 1080,
        webapp: 8080,
        telexIntegration: 3100,
        profileCollector: 3200,
      },
      keepData: false,
      grafanaUrl: '',
      chatEnv: {},
      telexReturnUrlHosts: 'ping.telex.im',
    });
  });

  it('takes each from the environment', () => {
    const settings = upLocalSettings({
      PROMETHEUS_PORT: '19090',
      ALERTMANAGER_PORT: '19093',
      ALERTMANAGER_2_PORT: '19095',
      MAILDEV_PORT: '11080',
      WEBAPP_PORTS: '18080',
      KEEP_DATA: '1',
      GRAFANA_URL: 'http://grafana.internal:3000',
      TELEX_INTEGRATION_PORT: '13100',
      PROFILE_COLLECTOR_PORT: '13200',
      TELEX_RETURN_URL_HOSTS: 'ping.telex.im,ping.staging.telex.im',
      SLACK_WEBHOOK_URL_FILE: './secrets/slack_webhook_url',
      TELEX_WEBHOOK_URL: 'https://ping.telex.im/v1/webhooks/x',
      DISCORD_WEBHOOK_URL_FILE: '',
    });
    expect(settings).toEqual({
      ports: {
        prometheus: 19090,
        alertmanager: 19093,
        alertmanager2: 19095,
        maildev: 11080,
        webapp: 18080,
        telexIntegration: 13100,
        profileCollector: 13200,
      },
      keepData: true,
      grafanaUrl: 'http://grafana.internal:3000',
      chatEnv: {
        SLACK_WEBHOOK_URL_FILE: resolve('secrets/slack_webhook_url'),
        TELEX_WEBHOOK_URL: 'https://ping.telex.im/v1/webhooks/x',
      },
      telexReturnUrlHosts: 'ping.telex.im,ping.staging.telex.im',
    });
  });

  it.each([
    [{ PROMETHEUS_PORT: 'ninety' }, "PROMETHEUS_PORT must be a port number (1-65535), got 'ninety'"],
    [{ MAILDEV_PORT: '70000' }, "MAILDEV_PORT must be a port number (1-65535), got '70000'"],
    [
      { WEBAPP_PORTS: 'x-y' },
      "WEBAPP_PORTS must be a port number (1-65535) or a range like 8080-8089, got 'x-y'",
    ],
    [{ KEEP_DATA: 'yes' }, "KEEP_DATA must be 1 or 0, got 'yes'"],
  ])('refuses %o with one line naming it', (env, message) => {
    expect(() => upLocalSettings(env)).toThrow(message);
  });

  it('reads commands, and names the ones it knows when given another', () => {
    expect(parseCommand(' KILL ')).toBe('kill');
    expect(parseCommand('exit')).toBe('quit');
    expect(parseCommand('')).toBeUndefined();
    expect(() => parseCommand('reboot')).toThrow(
      "unknown command 'reboot'; one of kill, stop, start, status, help, quit",
    );
  });

  it('status names every part, running or stopped, and what fires', () => {
    const text = statusLines(
      [
        { name: 'webapp', running: false, url: 'http://127.0.0.1:8080' },
        { name: 'generator', running: true },
        { name: 'alertmanager-2', running: true, url: 'http://127.0.0.1:9095' },
      ],
      ['InstanceDown (critical)'],
      '/tmp/fos-stack-x',
    );
    expect(text.split('\n')).toEqual([
      '  webapp          stopped  http://127.0.0.1:8080',
      '  generator       running',
      '  alertmanager-2  running  http://127.0.0.1:9095',
      '  firing: InstanceDown (critical)',
      '  data in /tmp/fos-stack-x',
      '',
    ]);
    expect(statusLines([], [], '/d')).toContain('firing: none but the Watchdog');
    expect(statusLines([], undefined, '/d')).toContain('firing: unknown (Prometheus does not answer)');
  });

  it('start promises a resolved email only when InstanceDown was firing', () => {
    const url = 'http://127.0.0.1:8080';
    expect(startedMessage(url, ['firing'])).toBe(
      'webapp started again at http://127.0.0.1:8080: the resolved email follows within ~1 min\n',
    );
    expect(startedMessage(url, ['pending'])).toContain(
      'InstanceDown was pending, not firing: it ends without an email',
    );
    expect(startedMessage(url, [])).toContain('InstanceDown had not fired, so no email follows');
    expect(startedMessage(url, undefined)).toContain('Prometheus does not answer');
  });
});
