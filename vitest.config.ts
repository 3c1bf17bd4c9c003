import { defineConfig } from 'vitest/config';

// One project per folder, named by what its tests need: the services' unit tests need nothing but
// Node; test/config reads the repository's files; test/integration starts one real part at a time
// (the pinned Prometheus or Alertmanager, maildev); test/e2e the whole local stack; test/faults
// kills its parts; test/compose needs a Docker engine; test/kubernetes a real API server (and root).
const service = (name: string) => ({
  test: { name, include: [`services/${name}/test/**/*.test.ts`], environment: 'node' as const },
});

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      service('webapp'),
      service('request-generator'),
      service('telex-integration'),
      service('web-auth'),
      service('profile-collector'),
      {
        test: {
          name: 'service-kit',
          include: ['packages/service-kit/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'fastify-http-metrics',
          include: ['packages/fastify-http-metrics/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'fastify-profiler',
          include: ['packages/fastify-profiler/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'config',
          include: ['test/config/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        // A group of its own (groupOrder): image builds never run alongside the timing-sensitive e2e
        // tests. The compose, fault, Kubernetes and own-service suites run three at a time (the other
        // groups one file at a time on two cores): own-service mostly waits out a 6-minute window, and
        // two at a time made the group 623 s, one after another 1076 s.
        test: {
          name: 'compose',
          include: ['test/compose/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 1_500_000,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // A user's own services beside the demo: one test waits out Prometheus' 5-minute lookback,
        // so it runs in the second group, beside the compose, fault and Kubernetes suites.
        test: {
          name: 'own-service',
          include: ['test/own-service/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 120_000,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // After the end-to-end suite (four stacks at once would disturb its timing), beside the
        // compose or Kubernetes test.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 120_000,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // deploy/kubernetes on a real API server, after the end-to-end suite (starting kube-apiserver
        // takes both cores for a few seconds), beside the compose or fault suite.
        test: {
          name: 'kubernetes',
          include: ['test/kubernetes/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          maxWorkers: 3,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
