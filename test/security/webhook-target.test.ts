import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.js';
import {
  checkWebhookUrl,
  deliverSignedPost,
  deliveryVerdict,
  maskUrl,
  parseAllowedHosts,
  WebhookDeliveryError,
} from '../../platform/webhook-target.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';
import { buildWorld, eventually, priceVariance } from '../world.js';

/** Issue 13, Why §5 (webhooks reach anything) and §6 (a slow receiver holds up work; cancellation ignored). */

/** A receiver on 127.0.0.1 that must hear nothing unless a test allows it. */
const heard: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];
const socketsClosedAt: number[] = [];
let listener: Server;
let port: number;

beforeAll(async () => {
  listener = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.socket.once('close', () => socketsClosedAt.push(Date.now()));
    req.on('end', () => {
      heard.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === '/redirect') {
        res.writeHead(307, { location: `http://127.0.0.1:${port}/elsewhere` });
        res.end();
      } else if (req.url === '/hang') {
        // never answers
      } else {
        res.writeHead(204);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(() => {
  listener?.closeAllConnections();
  listener?.close();
});

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(WebhookDeliveryError);
  return error as WebhookDeliveryError;
};

const post = { headers: { 'content-type': 'application/json', 'x-exception-desk-signature': 'sha256=abc' }, body: '{"hello":"world"}', timeoutMs: 5_000 };

describe('checkWebhookUrl, when a channel is saved', () => {
  it.each([
    ['loopback', 'http://127.0.0.1:3000/hooks'],
    ['loopback, numeric form', 'http://2130706433/'],
    ['loopback, short hex form', 'http://0x7f.1/'],
    ['IPv6 loopback', 'http://[::1]:8233/'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['link-local', 'http://169.254.10.10/'],
    ['private 10/8', 'http://10.0.0.5/'],
    ['private 172.16/12', 'https://172.20.1.1/'],
    ['private 192.168/16', 'http://192.168.1.1/'],
    ['unspecified', 'http://0.0.0.0:3000/'],
    ['IPv6 unspecified', 'http://[::]/'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped IPv6 of a public address', 'http://[::ffff:8.8.8.8]/'],
    ['unique-local IPv6', 'http://[fd00::1]/'],
    ['link-local IPv6', 'http://[fe80::1]/'],
    ['localhost', 'http://localhost:3000/'],
    ['a .localhost name', 'http://api.localhost/'],
    ['an .internal name', 'http://metadata.google.internal/computeMetadata/v1/'],
    ['a single-label name', 'http://intranet/hooks'],
    ['credentials', 'https://user:secret@hooks.example.com/x'],
    ['a user name alone', 'https://token@hooks.example.com/x'],
    ['another scheme', 'ftp://hooks.example.com/x'],
    ['not a URL', 'hooks.example.com/x'],
  ])('refuses %s (%s)', (_why, url) => {
    expect(checkWebhookUrl(url, [])).toMatchObject({ ok: false, message: expect.any(String) });
  });

  it.each(['https://hooks.example.com/exceptions?token=x', 'http://8.8.8.8/hook', 'https://[2606:4700:4700::1111]/hook'])('accepts the public %s', (url) => {
    expect(checkWebhookUrl(url, [])).toMatchObject({ ok: true });
  });

  it('lets WEBHOOK_ALLOWED_HOSTS open a host, or one port of it, and never credentials', () => {
    const allowed = parseAllowedHosts('127.0.0.1:8080, hooks.internal , [::1]');
    expect(checkWebhookUrl('http://127.0.0.1:8080/x', allowed).ok).toBe(true);
    expect(checkWebhookUrl('http://127.0.0.1:8081/x', allowed).ok).toBe(false);
    expect(checkWebhookUrl('https://HOOKS.internal/x', allowed).ok).toBe(true);
    expect(checkWebhookUrl('http://[::1]:9/x', allowed).ok).toBe(true);
    expect(checkWebhookUrl('http://u:p@127.0.0.1:8080/x', allowed).ok).toBe(false);
    expect(parseAllowedHosts('example.com:443')).toEqual([{ host: 'example.com', port: 443 }]);
    expect(checkWebhookUrl('http://10.0.0.1/', parseAllowedHosts('10.0.0.1:80')).ok).toBe(true);
  });

  it('refuses a malformed allowlist at start-up, naming the variable', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: 'http://127.0.0.1:80/' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:99999' })).toThrow(/WEBHOOK_ALLOWED_HOSTS/);
    expect(loadConfig({}).WEBHOOK_ALLOWED_HOSTS).toEqual([]);
  });

  it('masks a URL down to its scheme and host', () => {
    expect(maskUrl('https://user:pw@hooks.example.com:8443/po/na?token=s3cret#x')).toBe('https://hooks.example.com:8443/…');
    expect(maskUrl('not a url')).toBe('…');
  });

  it('says what a status means', () => {
    expect([200, 204, 408, 429, 500, 503, 400, 404, 410].map(deliveryVerdict)).toEqual([
      'delivered', 'delivered', 'retry', 'retry', 'retry', 'retry', 'refused', 'refused', 'refused',
    ]);
  });
});

describe('deliverSignedPost, when a notification is sent', () => {
  it('refuses every internal target before a byte reaches the listener on 127.0.0.1', async () => {
    const before = heard.length;
    const refused = [
      // a name that resolves to 127.0.0.1: judged by what it resolves to, on the connection itself
      `http://localhost:${port}/hook`,
      `http://127.0.0.1:${port}/hook`,
      `http://[::ffff:127.0.0.1]:${port}/hook`,
      `http://[::1]:${port}/hook`,
      'http://169.254.169.254/latest/meta-data/',
      `http://user:pw@127.0.0.1:${port}/hook`,
    ];
    for (const url of refused) {
      const error = await failure(deliverSignedPost({ ...post, url, allowedHosts: [] }));
      expect(error, url).toMatchObject({ kind: 'refused-target', retryable: false });
      expect(error.message, url).not.toMatch(/pw|\/hook/);
    }
    const credentials = await failure(deliverSignedPost({ ...post, url: `http://user:pw@127.0.0.1:${port}/hook`, allowedHosts: parseAllowedHosts(`127.0.0.1:${port}`) }));
    expect(credentials.kind).toBe('refused-target');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard.length).toBe(before);
  });

  it('delivers to an allowed host, headers and body as given', async () => {
    const receipt = await deliverSignedPost({ ...post, url: `http://127.0.0.1:${port}/hook`, allowedHosts: parseAllowedHosts(`127.0.0.1:${port}`) });
    expect(receipt).toEqual({ status: 204 });
    expect(heard.at(-1)).toMatchObject({ method: 'POST', url: '/hook', body: '{"hello":"world"}', headers: { 'x-exception-desk-signature': 'sha256=abc' } });
  });

  it('does not follow a 307 from an allowed receiver to another path', async () => {
    const before = heard.length;
    const error = await failure(deliverSignedPost({ ...post, url: `http://127.0.0.1:${port}/redirect`, allowedHosts: parseAllowedHosts('127.0.0.1') }));
    expect(error).toMatchObject({ kind: 'redirect', status: 307, retryable: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard.slice(before).map((r) => r.url)).toEqual(['/redirect']);
  });

  it('stops a hanging receiver within 100 ms of the AbortSignal, closing the connection', async () => {
    const cancel = new AbortController();
    const closedBefore = socketsClosedAt.length;
    const delivery = failure(deliverSignedPost({ ...post, url: `http://127.0.0.1:${port}/hang`, allowedHosts: parseAllowedHosts('127.0.0.1'), timeoutMs: 30_000, signal: cancel.signal }));
    await eventually(async () => heard.filter((r) => r.url === '/hang').length, (n) => n > 0, 5_000);
    const abortedAt = Date.now();
    cancel.abort();
    const error = await delivery;
    expect(error).toMatchObject({ kind: 'aborted', retryable: false });
    expect(Date.now() - abortedAt).toBeLessThan(100);
    await eventually(async () => socketsClosedAt.length, (n) => n > closedBefore, 1_000);
    expect(socketsClosedAt.at(-1)! - abortedAt).toBeLessThan(100);
  });

  it('gives up on a receiver that does not answer within its timeout, retryably', async () => {
    const started = Date.now();
    const error = await failure(deliverSignedPost({ ...post, url: `http://127.0.0.1:${port}/hang`, allowedHosts: parseAllowedHosts('127.0.0.1'), timeoutMs: 300 }));
    expect(error).toMatchObject({ kind: 'timeout', retryable: true });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('does not start when the signal has already fired', async () => {
    const before = heard.length;
    const error = await failure(deliverSignedPost({ ...post, url: `http://127.0.0.1:${port}/hook`, allowedHosts: parseAllowedHosts('127.0.0.1'), signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(heard.length).toBe(before);
  });
});

describe('setting a notification channel through the API', () => {
  let stack: Stack;
  let w: Awaited<ReturnType<typeof buildWorld>>;
  let regionManager: string;
  let capabilityManager: string;
  const region = () => `${stack.url}/api/v1/capabilities/po-sec/regions/NA`;
  const publicHook = 'https://hooks.example.com/po-sec/na?token=s3cret';

  beforeAll(async () => {
    stack = await startStack();
    w = await buildWorld(stack, { id: 'po-sec' });
    // Writers must be in the people directory (docs/security.md).
    const hannah = await http(`${stack.url}/api/v1/people/hannah`, { method: 'PUT', token: w.admin, body: { name: 'Hannah', email: 'hannah@example.com', managerId: null, roles: ['manager'] } });
    expect(hannah.status, JSON.stringify(hannah.body)).toBeLessThan(300);
    regionManager = await stack.mint({ sub: 'hannah', roles: ['manager'], scope: ['po-sec:NA'] });
    capabilityManager = await stack.mint({ sub: 'grace', roles: ['manager'], scope: ['po-sec:*'] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a region-scoped manager any channel (403)', async () => {
    const put = await http(region(), { method: 'PUT', token: regionManager, body: { notifications: { channel: { webhook: publicHook } } } });
    expectProblem(put, 403);
  });

  it('refuses internal targets and credentials with 422 at notifications.channel.webhook, and the listener hears nothing', async () => {
    const before = heard.length;
    const targets = [
      `http://127.0.0.1:${port}/hooks`,
      'http://169.254.169.254/latest/meta-data/',
      `http://[::1]:${port}/`,
      `${stack.url}/api/v1/exceptions`,
      `http://localhost:${port}/`,
      'https://user:secret@hooks.example.com/x',
    ];
    for (const webhook of targets) {
      const put = await http(region(), { method: 'PUT', token: capabilityManager, body: { notifications: { channel: { webhook } } } });
      expectProblem(put, 422);
      expect(put.body.errors, webhook).toEqual([{ path: 'notifications.channel.webhook', message: expect.any(String) }]);
    }
    const core = await http(`${stack.url}/api/v1/capabilities/po-sec`, { token: w.admin });
    const template = { ...core.body.template, version: core.body.template.version + 1, notifications: { channel: { webhook: `http://127.0.0.1:${port}/core` } } };
    const putCore = await http(`${stack.url}/api/v1/capabilities/po-sec`, { method: 'PUT', token: w.admin, body: template });
    expectProblem(putCore, 422);
    expect(putCore.body.errors).toEqual([{ path: 'notifications.channel.webhook', message: expect.any(String) }]);

    const raised = await http(`${stack.url}/api/v1/exceptions`, { token: w.integration, body: priceVariance('po-sec') });
    expect(raised.status).toBe(201);
    await eventually(async () => (await http(`${stack.url}/api/v1/exceptions?capability=po-sec`, { token: w.olivia })).body.items.length, (n) => n > 0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(heard.length).toBe(before);
  });

  it('lets a capability-wide manager set a public webhook, shown in full to admins only', async () => {
    const put = await http(region(), { method: 'PUT', token: capabilityManager, body: { notifications: { channel: { webhook: publicHook } } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.overlay.notifications.channel.webhook).toBe('https://hooks.example.com/…');

    const asOperator = await http(region(), { token: w.olivia });
    expect(asOperator.body.overlay.notifications.channel.webhook).toBe('https://hooks.example.com/…');
    expect(asOperator.body.effective.notifications.channel.webhook).toBe('https://hooks.example.com/…');
    expect(JSON.stringify(asOperator.body)).not.toContain('s3cret');
    const asAdmin = await http(region(), { token: w.admin });
    expect(asAdmin.body.effective.notifications.channel.webhook).toBe(publicHook);
  });

  it('keeps the stored URL when a region-scoped manager sends back the masked overlay with another change', async () => {
    const fetched = await http(region(), { token: regionManager });
    const overlay = { ...fetched.body.overlay, slaPolicies: { medium: { claimWithin: '2h' } } };
    const put = await http(region(), { method: 'PUT', token: regionManager, body: overlay });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const asAdmin = await http(region(), { token: w.admin });
    expect(asAdmin.body.overlay.notifications.channel.webhook).toBe(publicHook);
    expect(asAdmin.body.effective.slaPolicies.medium.claimWithin).toBe('2h');

    const off = await http(region(), { method: 'PUT', token: regionManager, body: { notifications: { channel: 'none' } } });
    expectProblem(off, 403);
  });
});
