import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../api/errors.js';
import { putTemplate } from '../api/services/catalog.js';
import type { LedgerDb } from '../ledger/db.js';
import { StartupError } from '../platform/fatal.js';

export const templatesDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'templates');

/**
 * Loads every template in templates/. An invalid one stops start-up naming the file, path and
 * problem; a stored template with a higher version (changed through the API) is kept.
 */
export async function loadTemplates(ledger: LedgerDb, logger: Logger, dir = templatesDir): Promise<string[]> {
  const files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const loaded: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const id = file.replace(/\.(ya?ml|json)$/, '');
    try {
      const { outcome } = await putTemplate(ledger, {
        id,
        source: text,
        format: file.endsWith('.json') ? 'json' : 'yaml',
        actor: 'system:templates',
        origin: `file:templates/${file}`,
      });
      if (outcome !== 'unchanged') logger.info({ template: file, outcome }, 'capability template loaded');
      loaded.push(id);
    } catch (err) {
      if (err instanceof AppError && err.code === 'CONFLICT') {
        logger.warn({ template: file }, `${err.message} Keeping the stored template.`);
        loaded.push(id);
        continue;
      }
      if (err instanceof AppError) {
        const details = (err.extra.errors ?? []).map((e) => `  ${e.path}: ${e.message}`).join('\n');
        throw new StartupError(`templates/${file}: ${err.message}\n${details}`);
      }
      throw err;
    }
  }
  return loaded;
}
