// Opens GraphiQL as served by the API, runs its default query, and fails on any console error,
// failed request or missing result. Usage: node graphiql.mjs URL SCREENSHOT.png
import { finish, launch } from './chromium.mjs';

const [url, screenshot] = process.argv.slice(2);
const { browser, page, problems } = await launch();
try {
  await page.goto(url, { waitUntil: 'networkidle' });
  await page.waitForSelector('.graphiql-container', { timeout: 30000 });
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => (document.querySelector('.result-window')?.textContent || '').includes('"BTS"'),
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
