// Tenant safety in headless Chromium (issue 12, SPEC §9): one browser logs in for real through
// the local OAuth provider, then visits pages in order; what it saw comes back as one JSON line.
//
//   node tenant.js --plan PLAN.json
//
// PLAN.json: {"login": "<pod origin>/login?redirect=/x",
//             "watch": ["<origin>", ...],          // responses from these origins are recorded
//             "visits": [{"name": "...", "url": "...",
//                         "result": true,            // wait for the page to set window.__result
//                         "settle": 1500}]}          // ms to let forms and navigations happen
// Output: {"login": {navigations, finalUrl, finalStatus},
//          "visits": {name: {navigations, finalUrl, status, responses: [{url, method, status}],
//                            result}},
//          "cookies": [{name, domain, ...}]}
// A visit never fails the run: a page that does not report (a sandboxed script) gives result
// null. The profile lives in a fresh temporary directory, removed at the end.
import fs from 'node:fs';

import { option, runChromium } from './chromium.js';

const plan = JSON.parse(fs.readFileSync(option('plan'), 'utf8'));
const watch = plan.watch || [];

function observe(page) {
    const seen = { navigations: [], responses: [] };
    page.on('request', (request) => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
            seen.navigations.push(request.url());
        }
    });
    page.on('response', (response) => {
        const url = response.url();
        if (watch.some((origin) => url.startsWith(origin))) {
            seen.responses.push({ url, method: response.request().method(),
                                  status: response.status() });
        }
    });
    // Requests the browser sent but whose answer the page may not see (no-cors, beacons).
    page.on('requestfailed', (request) => {
        const url = request.url();
        if (watch.some((origin) => url.startsWith(origin))) {
            seen.responses.push({ url, method: request.method(), status: -1,
                                  failure: request.failure() && request.failure().errorText });
        }
    });
    return seen;
}

async function visit(context, step) {
    const page = await context.newPage();
    const seen = observe(page);
    let status = 0;
    let result = null;
    try {
        const response = await page.goto(step.url, { waitUntil: 'load', timeout: 30000 });
        status = response ? response.status() : 0;
        if (step.result) {
            try {
                await page.waitForFunction(() => window.__result !== undefined, null,
                                           { timeout: step.timeout || 8000 });
                result = await page.evaluate(() => window.__result);
            } catch (error) {
                result = null;  // the page never reported: its script did not run
            }
        }
        await page.waitForTimeout(step.settle || 1000);
        await page.waitForLoadState('load').catch(() => {});
    } catch (error) {
        seen.error = String(error);
    }
    const finalUrl = page.url();
    await page.close();
    return { ...seen, finalUrl, status, result };
}

await runChromium({ visits: {} }, async (context, output) => {
    output.login = await visit(context, { url: plan.login, settle: 200 });
    for (const step of plan.visits) {
        output.visits[step.name] = await visit(context, step);
    }
});
