/** Why a URL the service is asked to post to is refused: not http(s), or on a host not allowed. */
export interface OutboundUrlProblem {
  reason: 'invalid' | 'host-not-allowed';
  message: string;
}

/**
 * Checks a URL a caller gives the service to post to (a tick's return_url, an A2A push URL): only
 * http(s), and only on the hosts of TELEX_RETURN_URL_HOSTS, so that it cannot be made to call
 * anywhere else. `name` is what the messages call it.
 */
export function outboundUrlProblem(
  name: string,
  value: string,
  allowedHosts: readonly string[],
): OutboundUrlProblem | undefined {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {}
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    return { reason: 'invalid', message: `${name} must be an http(s) URL, got '${value}'` };
  if (!allowedHosts.includes(url.hostname.toLowerCase()))
    return {
      reason: 'host-not-allowed',
      message: `${name} host '${url.hostname}' is not allowed (TELEX_RETURN_URL_HOSTS: ${allowedHosts.join(', ')})`,
    };
  return undefined;
}
