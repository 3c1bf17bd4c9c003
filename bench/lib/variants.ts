/** The instrumentations bench/instrumentations.ts compares, bare first. */
export const VARIANTS = ['bare', 'package', 'fastify-metrics', 'otel'] as const;
export type Variant = (typeof VARIANTS)[number];
