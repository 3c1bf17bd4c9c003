import type { AgentCard } from '@a2a-js/sdk';
import { duplicateInterfacesForLegacy } from '@a2a-js/sdk/compat/v0_3';

export const AGENT_PATH = '/a2a';
/** v0.3's card path, which Telex reads, and v1.0's, which the SDK serves: both answer. */
export const AGENT_CARD_PATHS = ['/.well-known/agent.json', '/.well-known/agent-card.json'] as const;

const skill = (id: string, name: string, description: string, examples: string[]) => ({
  id,
  name,
  description,
  tags: ['monitoring', 'prometheus', 'alertmanager'],
  examples,
  inputModes: ['text/plain', 'text/html'],
  outputModes: ['text/markdown', 'text/plain'],
  securityRequirements: [],
});

/**
 * The agent card: v1.0 with its JSON-RPC interface declared for v0.3 too (Telex speaks v0.3), so the
 * SDK serves a v0.3 card to callers without an A2A-Version header and accepts their calls.
 */
export function agentCard(publicUrl: string, defaultService: string): AgentCard {
  const jsonRpc = {
    url: `${publicUrl}${AGENT_PATH}`,
    protocolBinding: 'JSONRPC',
    tenant: '',
    protocolVersion: '1.0',
  };
  return {
    name: 'Fastify Observability Stack',
    description:
      'Answers a channel about the services this stack monitors: their health from Prometheus, the alerts firing now, and silences in Alertmanager.',
    supportedInterfaces: duplicateInterfacesForLegacy([jsonRpc], ['JSONRPC']),
    provider: { organization: 'Fastify Observability Stack', url: publicUrl },
    version: '0.1.0',
    documentationUrl: '',
    iconUrl: `${publicUrl}/logo.svg`,
    capabilities: { streaming: true, pushNotifications: true, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain', 'text/html'],
    defaultOutputModes: ['text/markdown', 'text/plain'],
    skills: [
      skill(
        'health-report',
        'Service health',
        `A service's health, the interval report's figures: p95 latency, request rate, error ratio, CPU, instances up and error budget left (default service: ${defaultService}).`,
        ['health', 'how is checkout?', 'health report for webapp'],
      ),
      skill(
        'firing-alerts',
        'What is firing',
        'The alerts firing now, most severe first, each with its runbook, dashboard and query; silenced ones counted.',
        ['what is firing?', 'alerts'],
      ),
      skill(
        'silence-alert',
        'Silence an alert',
        'Silences an alert in Alertmanager for a while, with who asked and why; refused without a duration or beyond 7 days. "unsilence <id>" ends one.',
        [
          'silence HighLatencyP95 for 2h because we are deploying',
          'silence InstanceDown on checkout for 30m',
        ],
      ),
    ],
    signatures: [],
  } as AgentCard;
}

/**
 * The workflow an AI coworker in Telex is made from: one A2A node pointing at this agent (the shape of
 * the workflows Telex's agents are registered with, late 2025). Served at /telex-workflow.json.
 */
export function telexWorkflow(publicUrl: string) {
  return {
    active: true,
    category: 'monitoring',
    name: 'fastify_observability_stack',
    description: 'Service health, firing alerts and silences from the Fastify Observability Stack',
    short_description: 'Health, alerts and silences from Prometheus and Alertmanager',
    long_description:
      'Ask it "health" (or "health of <service>"), "what is firing?", or "silence <Alert> for 2h because <why>". It answers from Prometheus and Alertmanager.',
    id: 'fastify-observability-stack',
    nodes: [
      {
        id: 'stack_agent',
        name: 'Fastify Observability Stack',
        parameters: {},
        position: [816, -112],
        type: 'a2a/mastra-a2a-node',
        typeVersion: 1,
        url: `${publicUrl}${AGENT_PATH}`,
      },
    ],
    pinData: {},
    settings: { executionOrder: 'v1' },
  };
}
