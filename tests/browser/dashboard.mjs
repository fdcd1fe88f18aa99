// Opens the dashboard as served by the API and fails on any console error, failed request or
// chart without data. Checks every chart is drawn with data, that a change of the year chart's
// genre and of the histogram's feature redraws them, that the group panel follows its
// dimensions and measure (one series per second key), and that the artist lookup finds an
// artist by a spelling variant and draws its related artists' profiles.
// With KEY, the API needs keys: the page must ask for one before it queries anything.
// Usage: node dashboard.mjs URL SCREENSHOT.png ARTIST_QUERY EXPECTED_ARTIST [KEY]
import { finish, launch } from './chromium.mjs';

const [url, screenshot, query, expected, key] = process.argv.slice(2);
const charts = ['genres', 'genre-features', 'years', 'histogram', 'groups', 'artist'];
const origin = new URL(url).origin;
const { browser, page, problems } = await launch({ viewport: { width: 1280, height: 900 } });
// Stricter than the default: warnings count too, and nothing may be fetched from elsewhere.
page.on('console', (m) => { if (m.type() === 'warning') problems.push(`console warning: ${m.text()}`); });
page.on('request', (r) => { if (!r.url().startsWith(origin)) problems.push(`request beyond the API: ${r.url()}`); });
try {
  await page.goto(url, { waitUntil: 'networkidle' });
  if (key) {
    await page.waitForSelector('#key-form', { state: 'visible', timeout: 15000 });
    await page.fill('#key', key);
    await page.click('#key-form button');
  }

  // Every chart drawn, with at least one non-zero data point.
  const drawn = async () => page.waitForFunction((names) => names.every((n) => {
    const canvas = document.querySelector(`canvas[data-chart="${n}"]`);
    const chart = canvas && window.Chart.getChart(canvas);
    return canvas.dataset.state === 'ready' && chart &&
      chart.data.datasets.some((d) => d.data.some((v) => typeof v === 'number' && v > 0));
  }), charts, { timeout: 30000 });
  await drawn();
  const counts = await page.textContent('#counts');
  if (!/\d+ tracks/.test(counts)) problems.push(`counts line: ${counts}`);
  const sizes = await page.evaluate((names) => names.map((n) => {
    const chart = window.Chart.getChart(document.querySelector(`canvas[data-chart="${n}"]`));
    return [n, chart.data.labels.length, chart.width, chart.height];
  }), charts);
  for (const [name, labels, width, height] of sizes) {
    if (labels < 1 || width < 100 || height < 100) problems.push(`chart ${name}: ${labels} labels, ${width}x${height}`);
  }

  // The year chart follows its genre, the histogram its feature.
  const yearsBefore = await page.evaluate(() => JSON.stringify(window.Chart.getChart(document.querySelector('canvas[data-chart="years"]')).data.datasets[0].data));
  const genre = await page.$eval('#years-genre option:nth-child(2)', (o) => o.value);
  await page.selectOption('#years-genre', genre);
  await page.waitForFunction((before) => JSON.stringify(window.Chart.getChart(document.querySelector('canvas[data-chart="years"]')).data.datasets[0].data) !== before, yearsBefore, { timeout: 15000 });
  await page.selectOption('#histogram-feature', 'tempo');
  await page.waitForFunction(() => (window.Chart.getChart(document.querySelector('canvas[data-chart="histogram"]')).data.labels[0] || '').startsWith('0–'), null, { timeout: 15000 });

  // The group panel: decade by mode to start (a series per mode), then genres by mean energy.
  const groups = () => page.evaluate(() => {
    const chart = window.Chart.getChart(document.querySelector('canvas[data-chart="groups"]'));
    return { labels: chart.data.labels, series: chart.data.datasets.map((d) => d.label), data: chart.data.datasets.map((d) => d.data) };
  });
  const start = await groups();
  if (!start.series.includes('Mode: major') || !start.series.includes('Mode: minor')) problems.push(`decade by mode: ${JSON.stringify(start)}`);
  if (!start.labels.every((l) => l === 'none' || /^\d{4}$/.test(l))) problems.push(`decades: ${start.labels}`);
  await page.selectOption('#groups-second', '');
  await page.selectOption('#groups-first', 'GENRE');
  await page.selectOption('#groups-measure', 'energy');
  await page.waitForFunction(() => {
    const chart = window.Chart.getChart(document.querySelector('canvas[data-chart="groups"]'));
    return chart.data.datasets.length === 1 && chart.data.datasets[0].label === 'Mean energy' &&
      chart.data.labels.length > 1 && !chart.data.labels.some((l) => /^\d{4}$/.test(l));
  }, null, { timeout: 15000 });
  const energy = await groups();
  if (!energy.data[0].every((v) => typeof v === 'number' && v > 0 && v < 1)) problems.push(`mean energy per genre: ${JSON.stringify(energy)}`);

  // The artist lookup by a variant of the name.
  await page.fill('#artist-query', query);
  await page.click('#artist-form button');
  await page.waitForFunction((name) => {
    const chart = window.Chart.getChart(document.querySelector('canvas[data-chart="artist"]'));
    return chart && chart.data.datasets.length > 1 && chart.data.datasets[0].label === name;
  }, expected, { timeout: 15000 });
  const related = await page.$$eval('#related li', (items) => items.length);
  if (related < 1) problems.push('no related artists listed');
  await drawn();
  await page.screenshot({ path: screenshot, fullPage: true });
} catch (e) {
  problems.push(String(e));
} finally {
  await browser.close();
}
finish(problems, 'dashboard ok');
