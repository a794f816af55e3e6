/** Agents on licenses minted by the reference issuer that expired some days ago, on the real clock. */
import type { E2E } from '../../e2e/support/harness.js';

const DAY = 86_400_000;
export const PRO = { sub: 'org-acme-123', tier: 'Pro', quotas: { max_materialized_views: 50, max_query_results: 1_000_000, max_clusters: 5 } } as const;

/** An agent on a static Pro license (no refresh_url) that expired `daysAgo` days (and a minute) ago. */
export async function expiredAgent(e2e: E2E, daysAgo: number, gracePeriod?: string) {
  const server = await e2e.server();
  const exp = Math.floor((Date.now() - daysAgo * DAY - 60_000) / 1000);
  const licenseKey = await server.mint({ ...PRO, exp }, (exp - 30 * 86_400) * 1000);
  const agent = e2e.agent({ licenseKey, trustedKeys: server.keys.jwks, stateDir: await e2e.tempDir(), ...(gracePeriod ? { gracePeriod } : {}) });
  await agent.start();
  return agent;
}
