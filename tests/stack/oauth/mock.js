// Two local OAuth providers for the integration tests, built on oauth2-mock-server: an OpenID
// Connect one (discovery, /authorize, /token, /userinfo with "sub") and a plain OAuth 2.0 one in
// GitHub's style (numeric "id", "login", null "email", and an email list at /user/emails).
//
//   node mock.js [--oidc-port N] [--plain-port N]      (0 or absent: any free port)
//
// Prints one JSON line {"oidc": url, "plain": url} when both listen; stops on SIGTERM or SIGINT,
// or when its standard input closes (so it never outlives the test run that started it).
//
// Test controls, on either server:
//   POST /_test/user {"id", "email", "name", "login", "emails"}  the user of the next logins
//   GET  /_test/last-token-request                                 the last /token form, as JSON
//   GET  /_test/hang...                                            never answers
import http from 'node:http';
import process from 'node:process';
import { OAuth2Server } from 'oauth2-mock-server';

const HOST = '127.0.0.1';

function option(name, fallback) {
    const index = process.argv.indexOf(`--${name}`);
    return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function readBody(request) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        request.on('data', (chunk) => chunks.push(chunk));
        request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        request.on('error', reject);
    });
}

function sendJson(response, status, body) {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify(body));
}

function bearerOf(request) {
    const header = request.headers.authorization || '';
    return header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
}

async function startProvider(kind, port) {
    // Only its issuer and service are used (7.x exports no OAuth2Service); its own HTTP server
    // is never started, the one below routes to service.requestHandler.
    const mock = new OAuth2Server();
    const { issuer, service } = mock;
    await issuer.keys.generate('RS256');
    const users = {
        next: kind === 'plain'
            ? { id: 1001, login: 'octocat', name: 'The Octocat', email: null,
                emails: [{ email: 'octocat@example.com', primary: true, verified: true }] }
            : { id: 'oidc-user-1', email: 'oidc@example.com', name: 'OIDC User' },
        byCode: new Map(),
        byToken: new Map(),
    };
    let lastTokenRequest = null;
    const hanging = new Set();

    // The code the mock hands out at /authorize belongs to whoever is "next" at that moment;
    // the access token issued for that code, and so /userinfo, follow it.
    service.on('beforeAuthorizeRedirect', (redirect) => {
        const code = redirect.url.searchParams.get('code');
        if (code) users.byCode.set(code, { ...users.next });
    });
    service.on('beforeResponse', (tokenResponse, request) => {
        lastTokenRequest = { ...request.body };
        const user = users.byCode.get(request.body.code);
        if (request.body.grant_type === 'authorization_code' && !user) {
            // A code this provider never handed out (or one already used): refused, as a real
            // provider does, rather than the library's token for anyone.
            tokenResponse.statusCode = 400;
            tokenResponse.body = { error: 'invalid_grant' };
            return;
        }
        if (tokenResponse.statusCode === 200 && user) {
            users.byCode.delete(request.body.code);
            users.byToken.set(tokenResponse.body.access_token, user);
        }
    });
    service.on('beforeUserinfo', (userinfo, request) => {
        const user = users.byToken.get(bearerOf(request));
        if (!user) {
            userinfo.statusCode = 401;
            userinfo.body = { error: 'invalid_token' };
        } else if (kind === 'plain') {
            userinfo.body = { id: user.id, login: user.login ?? null, name: user.name ?? null,
                              email: user.email ?? null };
        } else {
            userinfo.body = { sub: user.id, email: user.email ?? null, name: user.name ?? null };
        }
    });

    const server = http.createServer(async (request, response) => {
        const path = new URL(request.url, `http://${HOST}`).pathname;
        try {
            if (path.startsWith('/_test/hang')) {
                hanging.add(response);
                return;
            }
            if (path === '/_test/user' && request.method === 'POST') {
                users.next = JSON.parse(await readBody(request));
                sendJson(response, 200, { ok: true });
                return;
            }
            if (path === '/_test/last-token-request') {
                sendJson(response, 200, lastTokenRequest);
                return;
            }
            if (path === '/user/emails' && kind === 'plain') {
                const user = users.byToken.get(bearerOf(request));
                if (!user) sendJson(response, 401, { message: 'Bad credentials' });
                else sendJson(response, 200, user.emails ?? []);
                return;
            }
        } catch (error) {
            sendJson(response, 400, { error: String(error) });
            return;
        }
        service.requestHandler(request, response);
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, HOST, resolve);
    });
    issuer.url = `http://${HOST}:${server.address().port}`;
    return {
        url: issuer.url,
        stop: () => new Promise((resolve) => {
            for (const response of hanging) response.destroy();
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

const providers = [
    await startProvider('oidc', option('oidc-port', Number(process.env.OIDC_PORT || 0))),
    await startProvider('plain', option('plain-port', Number(process.env.PLAIN_PORT || 0))),
];
process.stdout.write(`${JSON.stringify({ oidc: providers[0].url, plain: providers[1].url })}\n`);

let stopping = false;
async function stop() {
    if (stopping) return;
    stopping = true;
    await Promise.all(providers.map((provider) => provider.stop()));
    process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
