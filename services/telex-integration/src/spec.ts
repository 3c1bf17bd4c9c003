import { declaredSettings, type TelexSetting } from './settings.ts';

/** What Telex reads to list and schedule the integration (GET /integration.json). */
export interface IntegrationSpec {
  data: {
    date: { created_at: string; updated_at: string };
    descriptions: {
      app_name: string;
      app_description: string;
      app_logo: string;
      app_url: string;
      background_color: string;
    };
    is_active: boolean;
    integration_category: string;
    integration_type: 'interval';
    key_features: string[];
    author: string;
    website: string;
    settings: TelexSetting[];
    target_url: string;
    tick_url: string;
  };
}

/** When this spec last changed: Telex shows it, so it is a fixed date, not the time of the request. */
const CREATED = '2026-11-22';
const UPDATED = '2026-11-22';
const REPOSITORY = 'https://github.com/fastify-observability-stack/fastify-observability-stack';

export function integrationSpec(publicUrl: string, defaultService: string): IntegrationSpec {
  return {
    data: {
      date: { created_at: CREATED, updated_at: UPDATED },
      descriptions: {
        app_name: 'Fastify Observability Stack',
        app_description:
          'Posts the webapp’s health to the channel on a schedule: p95 latency, request rate, error ratio, CPU per instance and instances up, read from Prometheus, with the thresholds crossed.',
        app_logo: `${publicUrl}/logo.svg`,
        app_url: publicUrl,
        background_color: '#1f2937',
      },
      is_active: true,
      integration_category: 'Monitoring & Logging',
      integration_type: 'interval',
      key_features: [
        'p95 latency, request rate and error ratio of any service the channel picks (the webapp by default), from Prometheus recording rules',
        'CPU per instance and instances down, by name',
        'Thresholds per channel, each crossing named with its margin: status error for an instance down or failing requests, warning for slow requests or a busy CPU',
        'Answers each tick at once and posts the report to the channel in the background',
      ],
      author: 'Fastify Observability Stack',
      website: REPOSITORY,
      settings: declaredSettings(defaultService),
      // Where Telex would forward the channel's messages: an interval integration takes none.
      target_url: '',
      tick_url: `${publicUrl}/tick`,
    },
  };
}
