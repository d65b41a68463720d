import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerFile } from '../../ledger/db.js';
import { expectProblem, http } from '../http.js';
import { startStack, type Stack } from '../stack.js';

/** A template write is one ledger transaction: version check, save and audit entry together or not at all. */
let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startStack();
  admin = await stack.token('root', 'admin');
});
afterAll(async () => stack?.close());

/** A second writer: takes the write lock, holds it 1.5 s, saves version 2 with its audit entry, commits. */
const OTHER_PROCESS = `
const Database = require('better-sqlite3');
const [file, id] = process.argv.slice(1);
const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.exec('begin immediate');
process.stdout.write('locked\\n');
setTimeout(() => {
  const row = db.prepare('select template from capabilities where id = ?').get(id);
  const template = { ...JSON.parse(row.template), version: 2, name: 'Written by the other process' };
  db.prepare('update capabilities set version = 2, name = ?, template = ? where id = ?').run(template.name, JSON.stringify(template), id);
  db.prepare("insert into audit_log (idempotency_key, at, actor, action, subject_type, subject_id, reason, detail) values (?, ?, 'other', 'capability.updated', 'capability', ?, null, ?)")
    .run('capability:' + id + '#v2', new Date().toISOString(), id, JSON.stringify({ version: 2, previousVersion: 1, source: 'api' }));
  db.exec('commit');
  db.close();
}, 1500);
`;

const base = YAML.parse(readFileSync('templates/po-assist.yaml', 'utf8')) as Record<string, unknown>;
const template = (id: string, version: number, name = `PO Assist ${version}`) => ({ ...base, id, version, name });
const put = (id: string, body: object, headers: Record<string, string> = {}) =>
  http(`${stack.url}/api/v1/capabilities/${id}`, { method: 'PUT', token: admin, body, headers });
const stored = (id: string) => http(`${stack.url}/api/v1/capabilities/${id}`, { token: admin }).then((r) => r.body.template);
const audit = (id: string) =>
  http(`${stack.url}/api/v1/audit-log?subjectType=capability&subjectId=${id}`, { token: admin }).then((r) => r.body.items as Array<{ action: string; actor: string; detail: any }>);

describe('writing a capability template', () => {
  it('refuses a write over a version another process saved while it checked (409), rather than overwrite it', async () => {
    expect((await put('tx-race', template('tx-race', 1))).status).toBe(201);
    // Another API process on the same ledger writes version 2 while holding the write lock for a moment.
    const other = spawn(process.execPath, ['-e', OTHER_PROCESS, ledgerFile(stack.config.DATA_DIR), 'tx-race'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(other, 'exit');
    await once(other.stdout!, 'data'); // it holds the lock
    const ours = await put('tx-race', template('tx-race', 2, 'Written by this process'));
    expect((await exited)[0]).toBe(0);
    expectProblem(ours, 409);
    expect(ours.body.currentVersion).toBe(2);
    expect(await stored('tx-race')).toMatchObject({ version: 2, name: 'Written by the other process' });
    expect((await audit('tx-race')).map((e) => e.detail.version)).toEqual([2, 1]);
  });

  it('refuses a stale If-Match with 409 and writes nothing; a current one, or a retry of what is stored, goes through', async () => {
    expect((await put('tx-match', template('tx-match', 1))).status).toBe(201);
    expect((await put('tx-match', template('tx-match', 2), { 'if-match': '"1"' })).status).toBe(200);
    const stale = await put('tx-match', template('tx-match', 3, 'Over a version I never saw'), { 'if-match': '"1"' });
    expectProblem(stale, 409);
    expect(stale.body.currentVersion).toBe(2);
    expect(await stored('tx-match')).toMatchObject({ version: 2, name: 'PO Assist 2' });
    expect((await audit('tx-match')).map((e) => e.detail.version)).toEqual([2, 1]);
    // The answer to the write of version 2 was lost, say: sending it again with the same If-Match is harmless.
    expect((await put('tx-match', template('tx-match', 2), { 'if-match': '"1"' })).status).toBe(200);
    expect((await put('tx-match', template('tx-match', 3), { 'if-match': 'W/"2"' })).status).toBe(200);
    expectProblem(await put('tx-match', template('tx-match', 4), { 'if-match': 'latest' }), 400);
  });

  it('saves no template whose audit entry cannot be written', async () => {
    expect((await put('tx-audit', template('tx-audit', 1))).status).toBe(201);
    await sql`create trigger refuse_template_audit before insert on audit_log when new.subject_id = 'tx-audit' begin select raise(abort, 'audit log unavailable'); end`.execute(stack.ledger);
    try {
      const res = await put('tx-audit', template('tx-audit', 2));
      expect(res.status).toBeGreaterThanOrEqual(500);
    } finally {
      await sql`drop trigger refuse_template_audit`.execute(stack.ledger);
    }
    expect(await stored('tx-audit')).toMatchObject({ version: 1 });
    expect((await audit('tx-audit')).map((e) => e.detail.version)).toEqual([1]);
    expect((await put('tx-audit', template('tx-audit', 2))).status).toBe(200);
  });
});
