import { sql, type Kysely, type Migration } from 'kysely';
import { columnTypes } from './dialect.js';

/**
 * 0014_template_versions (issue 17): every published core version is kept, each region records the
 * version it adopted, each exception the version it was raised under, and the latest rehearsal of a
 * region's scenarios is stored per region and template version.
 */
export const templateVersionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    const t = columnTypes(db);
    await db.schema
      .createTable('capability_versions')
      .addColumn('capability_id', 'text', (c) => c.notNull())
      .addColumn('version', t.int, (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('published_at', 'text', (c) => c.notNull())
      .addColumn('published_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('capability_versions_pk', ['capability_id', 'version'])
      .execute();
    // What is stored today is each capability's one version, and every region runs it.
    await sql`insert into capability_versions (capability_id, version, template, source, published_at, published_by)
      select id, version, template, source, updated_at, updated_by from capabilities`.execute(db);
    await db.schema.alterTable('capability_regions').addColumn('template_version', t.int).execute();
    await sql`update capability_regions set template_version = (select version from capabilities where capabilities.id = capability_regions.capability_id)`.execute(db);
    // Null for exceptions raised before versions were recorded.
    await db.schema.alterTable('exceptions').addColumn('template_version', t.int).execute();
    await db.schema
      .createTable('rehearsals')
      .addColumn('capability_id', 'text', (c) => c.notNull())
      .addColumn('region', 'text', (c) => c.notNull())
      .addColumn('template_version', t.int, (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('trigger', 'text', (c) => c.notNull())
      .addColumn('total', t.int, (c) => c.notNull())
      .addColumn('failed', t.int, (c) => c.notNull())
      .addColumn('results', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('rehearsals_pk', ['capability_id', 'region', 'template_version'])
      .execute();
  },
};
