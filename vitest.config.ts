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
        // A group of its own (groupOrder): image builds never run alongside the timing-sensitive e2e
        // tests. The compose, fault and Kubernetes suites run two at a time (the other groups one
        // file at a time on two cores): side by side they took 256 s, one after another 470 s.
        test: {
          name: 'compose',
          include: ['compose-test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 1_500_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // After the end-to-end suite (four stacks at once would disturb its timing), beside the
        // compose or Kubernetes test.
        test: {
          name: 'faults',
          include: ['faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 900_000,
          hookTimeout: 120_000,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // deploy/kubernetes on a real API server, after the end-to-end suite (starting kube-apiserver
        // takes both cores for a few seconds), beside the compose or fault suite.
        test: {
          name: 'kubernetes',
          include: ['k8s-test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
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
