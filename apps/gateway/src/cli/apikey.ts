import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { ApiKeyStore } from '@platform/auth';
import { loadConfig } from '@platform/runtime';
import { GatewayConfig } from '../config';

const USAGE = `Usage:
  npm run apikey -- create --name <name> [--sub <owner id>] [--json]   create a key (printed once, never stored in plain)
  npm run apikey -- list [--json]                                    list keys (never the keys themselves)
  npm run apikey -- revoke <id or name> [--json]                     revoke a key (gateways stop accepting it within AUTH_API_KEY_CACHE_TTL_MS)

Uses REDIS_URL and REDIS_KEY_PREFIX, like the gateway. The gateway accepts keys when AUTH_API_KEYS_ENABLED=true.`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, sub: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, target] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig(GatewayConfig);
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
  await redis.connect();
  const store = new ApiKeyStore(redis, config.REDIS_KEY_PREFIX);
  const out = (human: string, data: unknown) => console.log(values.json ? JSON.stringify(data) : human);
  try {
    switch (command) {
      case 'create': {
        if (!values.name) throw new Error('create needs --name');
        const { key, record } = await store.create(values.name, values.sub ?? values.name);
        out(
          `API key '${record.name}' created (id ${record.id}, owner api_key:${record.sub}).\n` +
            `Copy it now: it is stored only as a hash and cannot be shown again.\n\n  ${key}\n`,
          { key, ...record },
        );
        return 0;
      }
      case 'list': {
        const keys = await store.list();
        out(keys.length ? keys.map((k) => `${k.id}  ${k.name}  sub=${k.sub}  created ${k.created_at}`).join('\n') : 'no API keys', keys);
        return 0;
      }
      case 'revoke': {
        const which = target ?? values.name;
        if (!which) throw new Error('revoke needs an id or a name');
        const revoked = await store.revoke(which);
        if (revoked.length === 0) {
          out(`no API key with id or name '${which}'`, { revoked });
          return 1;
        }
        out(revoked.map((k) => `revoked ${k.id} (${k.name})`).join('\n'), { revoked });
        return 0;
      }
      default:
        console.error(`unknown command '${command}'\n\n${USAGE}`);
        return 2;
    }
  } finally {
    redis.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`apikey: ${(err as Error).message}`);
    process.exit(1);
  },
);
