import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { reportError } from '../../src/cli/output.js';
import { redactRecipe } from '../../src/config/load.js';
import { SegmintError, toSegmintError } from '../../src/core/errors.js';
import { redactSecrets, redactUrl, redactWebhookUrl } from '../../src/core/redact.js';
import { parseLibpq, pgClientConfig } from '../../src/sql/postgres.js';
import { captureIo } from '../helpers.js';

describe('redaction of secrets', () => {
  test('every form of connection string loses its password, and only that', () => {
    const cases: [string, string][] = [
      ['postgres://admin:secret@db.example:5432/shop', 'postgres://admin:***@db.example:5432/shop'],
      // A URL without a user name.
      ['postgres://:secret@host/db', 'postgres://:***@host/db'],
      // A password holding @ (and :), up to the last @ of the authority.
      ['postgres://admin:p@ssW0rd@host/db', 'postgres://admin:***@host/db'],
      ['postgresql://u:a:b@c@h:1/d?sslmode=require', 'postgresql://u:***@h:1/d?sslmode=require'],
      ['http://default:ch-pass@127.0.0.1:8123/', 'http://default:***@127.0.0.1:8123/'],
      // Query-string and libpq keyword forms.
      [
        'postgres://h/db?user=u&password=secret&sslmode=disable',
        'postgres://h/db?user=u&password=***&sslmode=disable',
      ],
      [
        'host=db.example port=5432 password=secret dbname=shop',
        'host=db.example port=5432 password=*** dbname=shop',
      ],
      ["host=h password='with space' user=u", 'host=h password=*** user=u'],
      ['host=h password = secret', 'host=h password = ***'],
      // No credentials: unchanged.
      ['postgres://host/db', 'postgres://host/db'],
      ['postgres://user@host/db', 'postgres://user@host/db'],
      ['see https://duckdb.org/docs for more', 'see https://duckdb.org/docs for more'],
    ];
    for (const [given, want] of cases) assert.equal(redactSecrets(given), want, given);
    // Inside a longer message, every occurrence.
    assert.equal(
      redactSecrets('Cannot connect to postgres://a:x@h1/db, nor to "postgres://b:y@h2/db".'),
      'Cannot connect to postgres://a:***@h1/db, nor to "postgres://b:***@h2/db".',
    );
    assert.equal(redactUrl('postgres://:p@ss@h/db'), 'postgres://:***@h/db');
  });

  test('a webhook URL shows only its host: its secret may be in the path or the query', () => {
    assert.equal(
      redactWebhookUrl('https://hooks.slack.com/services/T0/B0/XXXX'),
      'https://hooks.slack.com/***',
    );
    assert.equal(redactWebhookUrl('http://u:p@127.0.0.1:8080/x?token=t'), 'http://127.0.0.1:8080/***');
    assert.equal(redactWebhookUrl('https://example.com/'), 'https://example.com');
    const r = redactRecipe({
      drift: { webhook: { url: 'https://hooks.example/T/B/secretpath' } },
      engine: { url: 'postgres://a:pw@h/db?password=x' },
    }) as { drift: { webhook: { url: string } }; engine: { url: string } };
    assert.equal(r.drift.webhook.url, 'https://hooks.example/***');
    assert.equal(r.engine.url, 'postgres://a:***@h/db?password=***');
  });

  test('an error never carries a secret: message, hint, where and details', () => {
    const e = new SegmintError('DB_ERROR', 'Cannot connect to postgres://admin:p@ssW0rd@host/db', {
      hint: 'Check host=h password=secret',
      where: { path: 'engine.url', value: 'postgres://:secret@host/db' },
      details: { sql: 'SELECT 1', urls: ['http://u:pw@ch:8123/'] },
    });
    const text = JSON.stringify(e.toJSON()) + e.message;
    for (const s of ['p@ssW0rd', 'secret', ':pw@']) assert.ok(!text.includes(s), `${s} in ${text}`);
    // Errors from libraries too, on the way out of the CLI (message and stack).
    const raw = new Error('connect failed for postgresql://app:hunter2@10.0.0.1/prod');
    assert.ok(!toSegmintError(raw).message.includes('hunter2'));
    const c = captureIo();
    reportError(raw, false, c.io);
    reportError(raw, true, c.io);
    assert.ok(!(c.stderr() + c.stdout()).includes('hunter2'), c.stderr());
  });

  test('every connection string form: a password with spaces, quoted libpq values, an @ in the path', () => {
    const cases: [string, string][] = [
      [
        'Cannot connect to PostgreSQL at postgres://shop:Pa ss@127.0.0.1:1/shop: refused',
        'Cannot connect to PostgreSQL at postgres://shop:***@127.0.0.1:1/shop: refused',
      ],
      ["host=h password='a b c' dbname=x", 'host=h password=*** dbname=x'],
      ["host=h password = 'it\\'s' user=u", 'host=h password = *** user=u'],
      [
        'postgres://u:s3cret@h:5432/db?sslmode=require, then me@home',
        'postgres://u:***@h:5432/db?sslmode=require, then me@home',
      ],
      ['see postgres://h:5432/db and mail bob@x', 'see postgres://h:5432/db and mail bob@x'],
    ];
    for (const [text, want] of cases) assert.equal(redactSecrets(text), want);
  });

  test('a libpq keyword string is parsed whole, never read as a URL', () => {
    assert.deepEqual(
      parseLibpq(
        "host=db.local port=6543 dbname=shop user=u password='a \\'b c' sslmode=require connect_timeout=3",
      ),
      {
        host: 'db.local',
        port: 6543,
        database: 'shop',
        user: 'u',
        password: "a 'b c",
        ssl: { rejectUnauthorized: false },
        connectionTimeoutMillis: 3000,
      },
    );
    assert.deepEqual(pgClientConfig('postgres://u:p@h/db'), { connectionString: 'postgres://u:p@h/db' });
    assert.throws(() => parseLibpq('host=h colour=blue'), /keyword segmint does not pass on: colour/);
    assert.throws(() => parseLibpq('just some text'), /neither a postgres:\/\/ URL nor keyword=value pairs/);
  });
});
