// Opens GraphiQL as served by the API: checks that it opens the README's examples in tabs of
// their own, runs its default query, and opens the documentation explorer on the schema's
// descriptions; fails on any console error, failed request or missing result.
// Usage: node graphiql.mjs URL SCREENSHOT.png TABS
import { finish, launch } from './chromium.mjs';

const [url, screenshot, tabs] = process.argv.slice(2);
const { browser, page, problems } = await launch();
try {
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  const opened = await page.locator('.graphiql-tab').count();
  if (String(opened) !== tabs) problems.push(`expected ${tabs} tabs, GraphiQL opened ${opened}`);
  // The welcome tab first.
  await page.locator('.graphiql-tab').first().click();
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.result-window')?.textContent || '').includes('"BTS"'),
    null,
    { timeout: 30000 },
  );
  // The documentation explorer, from the server's own introspection.
  await page.click('[aria-label="Show Documentation Explorer"]');
  await page.waitForSelector('.graphiql-doc-explorer', { timeout: 30000 });
  await page.locator('.graphiql-doc-explorer a', { hasText: 'QueryRoot' }).first().click();
  await page.waitForFunction(
    () => (document.querySelector('.graphiql-doc-explorer')?.textContent || '').includes('An artist by id'),
    null,
    { timeout: 30000 },
  );
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  problems.push(String(e));
} finally {
  await browser.close();
}
finish(problems, 'graphiql ok');
