// The flame-graph link of an alert, opened as its recipient opens it: in a real browser (headless
// Chromium, Debian's chromium-headless-shell, driven by puppeteer-core), until the viewer has drawn
// the profile; then a screenshot of what they see.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

/** Debian's headless Chromium (.ci/run installs it); CHROMIUM names another. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium-headless-shell';
export const chromiumInstalled = () => existsSync(CHROMIUM);

export interface ViewerShot {
  /** The page's title once the profile is drawn: speedscope names it after the profile. */
  title: string;
  /** What the page asked for that failed (the profile among them), if anything. */
  failed: string[];
}

export async function screenshotViewer(url: string, path: string): Promise<ViewerShot> {
  // --no-sandbox: CI runs as root, where Chromium's sandbox will not start.
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => failed.push(`${request.failure()?.errorText} ${request.url()}`));
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(url, { waitUntil: 'networkidle0' });
    // The title speedscope gives a loaded profile: the title the collector passed in the link.
    await page.waitForFunction("document.title.includes('profile of')", { timeout: 60_000 });
    await page.waitForSelector('canvas', { timeout: 60_000 });
    await page.screenshot({ path });
    return { title: await page.title(), failed };
  } finally {
    await browser.close();
  }
}
