// Opens an nhiscan HTML report in headless Chromium and prints what a reader would see,
// as JSON, for tests/browser/main.rs to assert on:
//   node check.mjs REPORT.html SCREENSHOT.png [SEVERITY]
// errors: console errors and warnings, uncaught exceptions, dialogs (alert()), requests
// to anything but the file itself; rows: finding rows rendered with no filter and
// after choosing SEVERITY in the severity filter; the section headings; whether a
// payload ran (window.__pwned) or created elements it should not have.
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [file, screenshot, severity] = process.argv.slice(2);
const url = pathToFileURL(path.resolve(file)).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const result = { errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') result.errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => result.errors.push(`uncaught: ${e.message}`));
  page.on('dialog', async (d) => { result.errors.push(`dialog: ${d.message()}`); await d.dismiss(); });
  page.on('request', (r) => { if (r.url() !== url) result.errors.push(`request: ${r.url()}`); });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30000 });
  const rows = () => page.locator('#findings-body tr.finding').count();
  // Everything that matches is rendered once scrolled to: load every page of rows.
  const loadAll = async () => {
    while (await page.locator('#findings-more').isVisible()) await page.click('#findings-more');
  };
  await loadAll();
  result.rows = await rows();
  result.matching = Number(await page.getAttribute('body', 'data-findings-matching'));
  result.sections = await page.locator('main h2').allTextContents();
  result.svgs = await page.locator('main svg').count();
  result.scripts = await page.locator('script').count();
  result.images = await page.locator('img').count();
  result.pwned = await page.evaluate(() => window.__pwned === true);
  result.title = await page.title();
  // The first row expanded: its details and remediation are shown.
  if (result.rows > 0) {
    await page.locator('#findings-body button.expand').first().click();
    result.detail = (await page.locator('#findings-body tr.detail').first().innerText()).slice(0, 2000);
  }
  if (severity) {
    await page.selectOption('#filter-severity', severity);
    await loadAll();
    result.severity_rows = await rows();
  }
  // A node of the delegation drawing filters the findings to its identity.
  const node = page.locator('svg.delegation a[data-entity]').first();
  if (await node.count()) {
    await page.selectOption('#filter-severity', '');
    result.graph_entity = await node.getAttribute('data-entity');
    await node.click();
    await loadAll();
    result.graph_rows = await rows();
    await page.click('#filter-entity-clear');
  }
  result.text = (await page.locator('main').innerText()).slice(0, 200000);
  await page.selectOption('#filter-severity', '');
  await page.screenshot({ path: screenshot, fullPage: false });
  // Printed: the controls are gone, the findings and charts stay; a PDF is made.
  await page.emulateMedia({ media: 'print' });
  result.print = {
    filters_visible: await page.locator('#filters').isVisible(),
    nav_visible: await page.locator('nav').isVisible(),
    rows_visible: await page.locator('#findings-body tr.finding').first().isVisible(),
    charts_visible: await page.locator('#charts svg').first().isVisible(),
  };
  result.pdf_bytes = (await page.pdf({ format: 'A4' })).length;
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));
