// What the Chromium drivers of the integration tests share: their command-line options, and one
// run of Debian's headless Chromium (through playwright-core) in a fresh profile that prints its
// result, with the browser's cookies, as one JSON line and exits 1 when the run threw.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { chromium } from 'playwright-core';

export function option(name, fallback) {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? process.argv[index + 1] : fallback;
}

// Runs drive(context, result) in a new persistent context, then prints result.
export async function runChromium(result, drive) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'webpods-chromium-'));
    let context;
    try {
        context = await chromium.launchPersistentContext(profile, {
            executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
            headless: true,
            ignoreHTTPSErrors: true,  // the stack's certificate is self-signed
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
                   '--disable-background-networking', '--disable-component-update',
                   '--disable-sync'],
        });
        await drive(context, result);
        result.cookies = (await context.cookies()).map((cookie) => ({
            name: cookie.name, domain: cookie.domain, path: cookie.path,
            httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite,
        }));
    } catch (error) {
        result.error = String(error && error.stack ? error.stack : error);
    } finally {
        if (context) await context.close();
        fs.rmSync(profile, { recursive: true, force: true });
    }
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(result.error ? 1 : 0);
}
