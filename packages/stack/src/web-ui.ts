// Prometheus and Alertmanager built from their Go modules carry no web UI (scripts/ensure-tool.sh
// says why): Prometheus answers its UI pages with an error, and Alertmanager shows a page of ours
// saying so. Official release binaries have both UIs.

/** Whether Prometheus at `url` serves its web UI. */
export async function prometheusHasWebUi(url: string): Promise<boolean> {
  const response = await fetch(`${url}/query`);
  await response.arrayBuffer();
  return response.ok;
}

/** Whether Alertmanager at `url` serves its web UI, not the stand-in page of scripts/alertmanager-no-ui.html. */
export async function alertmanagerHasWebUi(url: string): Promise<boolean> {
  const response = await fetch(`${url}/`);
  const page = await response.text();
  return response.ok && !page.includes('name="fos-no-web-ui"');
}
