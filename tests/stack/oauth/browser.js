// Drives headless Chromium (Debian's /usr/bin/chromium, through playwright-core) through a whole
// browser login for the integration tests, and prints what it saw as one JSON line.
//
//   node browser.js --pod-origin URL [--second-pod-origin URL] [--stream NAME] [--text TEXT]
//
// 1. opens {pod}/login?redirect=/{stream}, follows the redirects through the main domain and the
//    provider back to the pod, which sets the pod_token cookie;
// 2. from that page, POSTs a record to /{stream} with fetch (the HttpOnly cookie is the only
//    credential) and reads it back with /{stream}?i=-1;
// 3. with --second-pod-origin, logs into a second pod: the session on the main domain makes the
//    provider step unnecessary (single sign-on).
// The profile lives in a fresh temporary directory, removed at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { chromium } from 'playwright-core';

function option(name, fallback) {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1] : fallback;
}

const podOrigin = option('pod-origin');
const secondPodOrigin = option('second-pod-origin');
const stream = option('stream', 'notes');
const text = option('text', 'written from Chromium');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

// Every document the tab loaded, in order, redirects included.
function recordNavigations(page) {
    const urls = [];
    page.on('request', (request) => {
        if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
            urls.push(request.url());
        }
    });
    return urls;
}

async function writeAndRead(page) {
    return page.evaluate(async ({ streamName, body }) => {
        const written = await fetch(`/${streamName}`, {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body,
            credentials: 'same-origin',
        });
        const read = await fetch(`/${streamName}?i=-1`, { credentials: 'same-origin' });
        return {
            writeStatus: written.status,
            written: await written.text(),
            readStatus: read.status,
            read: await read.text(),
        };
    }, { streamName: stream, body: text });
}

async function login(context, origin) {
    const page = await context.newPage();
    const navigations = recordNavigations(page);
    const response = await page.goto(`${origin}/login?redirect=${encodeURIComponent(`/${stream}`)}`,
                                     { waitUntil: 'load', timeout: 30000 });
    return { page, navigations, finalUrl: page.url(), finalStatus: response ? response.status() : 0 };
}

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'webpods-chromium-'));
let context;
const result = {};
try {
    context = await chromium.launchPersistentContext(profile, {
        executablePath,
        headless: true,
        ignoreHTTPSErrors: true,  // the stack's certificate is self-signed
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
               '--disable-background-networking', '--disable-component-update',
               '--disable-sync'],
    });
    const first = await login(context, podOrigin);
    result.first = { navigations: first.navigations, finalUrl: first.finalUrl,
                     finalStatus: first.finalStatus, ...(await writeAndRead(first.page)) };
    if (secondPodOrigin) {
        const second = await login(context, secondPodOrigin);
        result.second = { navigations: second.navigations, finalUrl: second.finalUrl,
                          finalStatus: second.finalStatus, ...(await writeAndRead(second.page)) };
    }
    result.cookies = (await context.cookies()).map((cookie) => ({
        name: cookie.name, domain: cookie.domain, path: cookie.path, httpOnly: cookie.httpOnly,
        secure: cookie.secure, sameSite: cookie.sameSite,
    }));
} catch (error) {
    result.error = String(error && error.stack ? error.stack : error);
} finally {
    if (context) await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.error ? 1 : 0);
