// How long a large HTML report takes to open and to filter in headless Chromium
// (scripts/bench-html.sh runs it): prints JSON with the milliseconds from navigation to
// the findings being shown, and for choosing a severity in the filter.
//   node bench.mjs REPORT.html [RUNS]
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 3);
const url = pathToFileURL(path.resolve(file)).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const open = [];
const filter = [];
let findings = 0;
try {
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const started = Date.now();
    await page.goto(url, { timeout: 120000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
    open.push(Date.now() - started);
    const before = Date.now();
    await page.selectOption('#filter-severity', 'medium');
    await page.waitForFunction(() => document.body.dataset.findingsShown !== undefined);
    filter.push(Date.now() - before);
    findings = Number(await page.getAttribute('body', 'data-findings-total'));
    await page.close();
  }
} finally {
  await browser.close();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
process.stdout.write(JSON.stringify({ findings, open_ms: open, open_median_ms: median(open), filter_ms: filter, filter_median_ms: median(filter) }) + '\n');
