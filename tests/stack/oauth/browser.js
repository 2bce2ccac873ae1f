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
import { option, runChromium } from './chromium.js';

const podOrigin = option('pod-origin');
const secondPodOrigin = option('second-pod-origin');
const stream = option('stream', 'notes');
const text = option('text', 'written from Chromium');

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

await runChromium({}, async (context, result) => {
    const first = await login(context, podOrigin);
    result.first = { navigations: first.navigations, finalUrl: first.finalUrl,
                     finalStatus: first.finalStatus, ...(await writeAndRead(first.page)) };
    if (secondPodOrigin) {
        const second = await login(context, secondPodOrigin);
        result.second = { navigations: second.navigations, finalUrl: second.finalUrl,
                          finalStatus: second.finalStatus, ...(await writeAndRead(second.page)) };
    }
});
