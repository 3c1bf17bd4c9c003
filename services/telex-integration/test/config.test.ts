import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('loadConfig', () => {
  it('has sane defaults for every variable', () => {
    expect(loadConfig({})).toEqual({
      host: '0.0.0.0',
      port: 3100,
      nodeEnv: 'production',
      logLevel: 'info',
      publicUrl: 'http://127.0.0.1:3100',
      prometheusUrl: 'http://127.0.0.1:9090',
      alertmanagerUrls: ['http://127.0.0.1:9093'],
      alertmanagerPublicUrl: 'http://127.0.0.1:9093',
      returnUrlHosts: ['ping.telex.im'],
      corsOrigins: ['https://telex.im', 'https://staging.telex.im'],
      webappJob: 'webapp',
      grafanaUrl: '',
      jaegerUrl: '',
      jaegerPublicUrl: '',
      victoriaLogsUrl: '',
      profilesUrl: '',
      prometheusTimeoutMs: 5000,
      delivery: { attempts: 5, backoffMs: 1000, timeoutMs: 10000 },
      telemetry: {
        serviceName: 'telex-integration',
        tracesEndpoint: '',
        logsEndpoint: '',
        sampleRatio: 1,
        maxTracesPerSecond: 10,
      },
      shutdownGraceMs: 30000,
    });
  });

  it('reads overrides, trimming trailing slashes and listing the allowed hosts', () => {
    const config = loadConfig({
      PORT: '4000',
      PUBLIC_URL: 'https://telex.example.com/fos/',
      PROMETHEUS_URL: 'http://prometheus:9090/',
      TELEX_RETURN_URL_HOSTS: ' ping.telex.im, Ping.Staging.Telex.im ,',
      TELEX_CORS_ORIGINS: 'https://telex.im, http://127.0.0.1:5173',
      GRAFANA_URL: 'https://grafana.example.com',
    });
    expect(config.publicUrl).toBe('https://telex.example.com/fos');
    expect(config.prometheusUrl).toBe('http://prometheus:9090');
    expect(config.returnUrlHosts).toEqual(['ping.telex.im', 'ping.staging.telex.im']);
    expect(config.corsOrigins).toEqual(['https://telex.im', 'http://127.0.0.1:5173']);
    expect(config.grafanaUrl).toBe('https://grafana.example.com');
  });

  it('derives PUBLIC_URL from PORT when it is empty', () => {
    expect(loadConfig({ PORT: '4000' }).publicUrl).toBe('http://127.0.0.1:4000');
  });

  it.each([
    ['PORT', 'abc', /PORT must be integer, got 'abc'/],
    ['PUBLIC_URL', 'telex.example.com', /PUBLIC_URL must be an http\(s\) URL, got 'telex.example.com'/],
    ['PUBLIC_URL', 'ftp://example.com', /PUBLIC_URL must be an http\(s\) URL/],
    ['PROMETHEUS_URL', 'http://p:9090/?x=1', /PROMETHEUS_URL must be an http\(s\) URL without query/],
    [
      'TELEX_RETURN_URL_HOSTS',
      'https://ping.telex.im',
      /TELEX_RETURN_URL_HOSTS must be comma-separated host names, got 'https:\/\/ping.telex.im'/,
    ],
    ['TELEX_RETURN_URL_HOSTS', ' , ', /TELEX_RETURN_URL_HOSTS must be comma-separated host names/],
    [
      'TELEX_CORS_ORIGINS',
      'https://telex.im/app',
      /TELEX_CORS_ORIGINS must be comma-separated origins like https:\/\/telex.im, got 'https:\/\/telex.im\/app'/,
    ],
    ['TELEX_CORS_ORIGINS', 'telex.im', /TELEX_CORS_ORIGINS must be comma-separated origins/],
    ['DELIVERY_ATTEMPTS', '0', /DELIVERY_ATTEMPTS must be >= 1, got '0'/],
    ['WEBAPP_JOB', 'a job', /WEBAPP_JOB must match pattern/],
    ['GRAFANA_URL', 'grafana', /GRAFANA_URL must be an http\(s\) URL, got 'grafana'/],
    ['JAEGER_URL', 'jaeger:16686', /JAEGER_URL must be an http\(s\) URL without query, got 'jaeger:16686'/],
    ['ALERTMANAGER_URLS', ' , ', /ALERTMANAGER_URLS must be comma-separated http\(s\) URLs, got ' , '/],
    [
      'ALERTMANAGER_URLS',
      'http://a:9093,am2:9093',
      /ALERTMANAGER_URLS must be an http\(s\) URL.*, got 'am2:9093'/,
    ],
    ['ALERTMANAGER_PUBLIC_URL', 'alerts', /ALERTMANAGER_PUBLIC_URL must be an http\(s\) URL, got 'alerts'/],
  ])('rejects %s=%s naming the variable, the value and what it expected', (variable, value, message) => {
    expect(() => loadConfig({ [variable]: value })).toThrowError(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrowError(message);
  });

  it('reads the Prometheus login from the password file, first line trimmed, never from the environment', () => {
    const files: Record<string, string> = { '/run/secrets/stack_password': '  s3cret-pass  \nignored\n' };
    const config = loadConfig(
      { PROMETHEUS_USERNAME: 'stack', PROMETHEUS_PASSWORD_FILE: '/run/secrets/stack_password' },
      (path) => files[path] ?? '',
    );
    expect(config.prometheusLogin).toEqual({ username: 'stack', password: 's3cret-pass' });
    expect(loadConfig({}).prometheusLogin).toBeUndefined();
  });

  it('reads the Alertmanager pair, their login and the agent key, each secret from its file', () => {
    const files: Record<string, string> = { '/s/stack': 'am-pass\n', '/s/key': 'agent-key\n' };
    const config = loadConfig(
      {
        ALERTMANAGER_URLS: 'http://alertmanager:9093/, http://alertmanager-2:9093',
        ALERTMANAGER_PUBLIC_URL: 'https://alerts.example.com/',
        ALERTMANAGER_USERNAME: 'stack',
        ALERTMANAGER_PASSWORD_FILE: '/s/stack',
        AGENT_API_KEY_FILE: '/s/key',
      },
      (path) => files[path] ?? '',
    );
    expect(config).toMatchObject({
      alertmanagerUrls: ['http://alertmanager:9093', 'http://alertmanager-2:9093'],
      alertmanagerPublicUrl: 'https://alerts.example.com',
      alertmanagerLogin: { username: 'stack', password: 'am-pass' },
      agentApiKey: 'agent-key',
    });
    expect(() => loadConfig({ AGENT_API_KEY_FILE: '/s/none' }, () => '\n')).toThrowError(
      "invalid configuration: AGENT_API_KEY_FILE '/s/none' must hold the secret on its first line, got an empty one",
    );
  });

  it.each([
    [{ ALERTMANAGER_USERNAME: 'stack' }, /ALERTMANAGER_USERNAME and ALERTMANAGER_PASSWORD_FILE go together/],
    [{ PROMETHEUS_USERNAME: 'stack' }, /PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE go together/],
    [{ PROMETHEUS_PASSWORD_FILE: '/p' }, /PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD_FILE go together/],
    [
      { PROMETHEUS_USERNAME: 'stack', PROMETHEUS_PASSWORD_FILE: '/missing' },
      /PROMETHEUS_PASSWORD_FILE: cannot read '\/missing' \(ENOENT\)$/,
    ],
    [
      { PROMETHEUS_USERNAME: 'stack', PROMETHEUS_PASSWORD_FILE: '/empty' },
      /PROMETHEUS_PASSWORD_FILE '\/empty' must hold the secret on its first line/,
    ],
  ])('rejects the login %j naming what is wrong', (env, message) => {
    const read = (path: string) => {
      if (path === '/empty') return '\n';
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    };
    expect(() => loadConfig(env, read)).toThrowError(ConfigError);
    expect(() => loadConfig(env, read)).toThrowError(message);
  });
});
