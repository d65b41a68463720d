import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadSigningSecret, mintToken } from '../api/auth.js';
import { DEFAULT_MAX_TOKEN_LIFETIME_S, loadConfig, loadDotEnv } from '../config/index.js';
import { Role, ScopeEntry } from '../domain/principal.js';
import { exitWithError, StartupError } from '../platform/fatal.js';

const usage = `Usage: npm run token -- --sub <person-id> --role <role> [--role <role>] [--scope <capability:region>] [--ttl 8h] [--name "Full Name"]
Roles: ${Role.options.join(', ')}. Prints the signed JWT alone on stdout.`;

const Args = z.object({
  sub: z.string().min(1, 'is required'),
  role: z.array(Role).min(1, 'give at least one --role'),
  scope: z.array(ScopeEntry).optional(),
  ttl: z.string().regex(/^\d+\s*(s|m|h|d)$/, 'expected e.g. 30m, 8h or 7d').default('8h'),
  name: z.string().optional(),
});

async function main() {
  loadDotEnv();
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      role: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const args = Args.safeParse(values);
  if (!args.success) {
    throw new StartupError(`${args.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n')}\n\n${usage}`);
  }
  const config = loadConfig();
  const max = config.AUTH_MAX_TOKEN_LIFETIME ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
  const ttl = args.data.ttl.replace(/\s+/g, '');
  const seconds = Number(ttl.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[ttl.slice(-1) as 's' | 'm' | 'h' | 'd'];
  if (seconds > max) throw new StartupError(`--ttl ${ttl} is longer than AUTH_MAX_TOKEN_LIFETIME (${max / 3600}h); the API would refuse the token.`);
  const token = await mintToken(loadSigningSecret(config), {
    sub: args.data.sub,
    roles: args.data.role,
    scope: args.data.scope,
    ttl: args.data.ttl,
    name: args.data.name,
    audience: config.AUTH_AUDIENCE,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => exitWithError(err instanceof TypeError && 'code' in err ? new StartupError(`${err.message}\n\n${usage}`) : err, 'mint a token'));
