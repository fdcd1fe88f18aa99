// Debian's headless Chromium (never a browser download of playwright's), with a page that
// collects every problem a person would see or a developer would find in the console: console
// errors, uncaught exceptions, failed requests and HTTP errors.
import { chromium } from 'playwright-core';

export async function launch({ viewport } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const problems = [];
  const page = await browser.newPage(viewport ? { viewport } : {});
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  return { browser, page, problems };
}

// Ends the script: exit 1 with the problems on stderr, or `ok` on stdout.
export function finish(problems, ok) {
  if (problems.length) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
  console.log(ok);
}
