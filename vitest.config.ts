import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'webapp',
          include: ['services/webapp/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'request-generator',
          include: ['services/request-generator/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'telex-integration',
          include: ['services/telex-integration/test/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['e2e/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
      {
        // A group of its own (groupOrder): image builds never run alongside the timing-sensitive e2e tests.
        test: {
          name: 'compose',
          include: ['compose-test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 1_500_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // After the end-to-end suite, beside the compose test (which mostly waits on Docker): four
        // stacks at once would disturb the end-to-end suite's timing.
        test: {
          name: 'faults',
          include: ['faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // deploy/kubernetes on a real API server: beside the compose and fault suites, after the
        // end-to-end suite (starting kube-apiserver takes both cores for a few seconds).
        test: {
          name: 'kubernetes',
          include: ['k8s-test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: 'repo',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
        },
      },
    ],
  },
});
