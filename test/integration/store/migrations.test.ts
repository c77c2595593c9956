// The schema migrates an empty database, reruns as a no-op, and keeps the public names of docs/architecture.md.
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, migrate } from '../../../src/main/store/db';
import { migrations } from '../../../src/main/store/migrations/index';
import { tempDir } from '../../helpers/fs';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function tempDb(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return join(t.dir, 'test.db');
}

describe('migrations', () => {
  it('migrates an empty database to the latest version with WAL and foreign keys on', () => {
    const db = openDatabase(tempDb());
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.at(-1)?.version);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });

  it('is idempotent: a rerun changes nothing', () => {
    const file = tempDb();
    openDatabase(file).close();
    const raw = new Database(file);
    const schemaBefore = raw.prepare(`SELECT sql FROM sqlite_master ORDER BY name`).all();
    expect(migrate(raw)).toBe(migrations.at(-1)?.version);
    expect(raw.prepare(`SELECT sql FROM sqlite_master ORDER BY name`).all()).toEqual(schemaBefore);
    raw.close();
  });

  it('keeps the public table and column names of docs/architecture.md, all STRICT', () => {
    const db = openDatabase(tempDb());
    const cols = (t: string) =>
      db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(t) as string[];
    const expected: Record<string, string[]> = {
      datasets: ['id', 'name', 'root', 'format', 'created_at'],
      images: ['id', 'dataset_id', 'rel_path', 'sha256', 'width', 'height', 'split', 'status', 'error'],
      faces: ['id', 'image_id', 'idx', 'x', 'y', 'w', 'h', 'det_score', 'landmarks', 'source'],
      predictions: ['id', 'face_id', 'model_id', 'model_version', 'task', 'source', 'value', 'created_at'],
      labels: ['face_id', 'key', 'source', 'value', 'updated_at'],
      label_events: ['id', 'face_id', 'key', 'old', 'new', 'actor', 'at'],
      masks: ['face_id', 'source', 'version', 'png', 'box'],
      reviews: ['face_id', 'status', 'at'],
      rules: ['id', 'key', 'severity', 'text', 'enabled'],
      violations: ['face_id', 'rule_id', 'subject', 'detail'],
      embeddings: ['face_id', 'model_id', 'vector'],
      jobs: ['id', 'kind', 'params', 'state', 'done', 'total', 'error'],
      mllm_answers: [
        'face_id',
        'job_id',
        'endpoint',
        'model',
        'source',
        'key',
        'template',
        'value',
        'status',
      ],
      mllm_cache: ['key', 'raw', 'latency_ms', 'created_at'],
      users: ['id', 'name', 'role', 'token_hash', 'created_at', 'disabled_at'],
      review_claims: ['face_id', 'user_id', 'dataset_id', 'lease_until'],
      review_events: ['id', 'face_id', 'actor', 'status', 'labels', 'at'],
      review_takeovers: ['id', 'face_id', 'actor', 'from_actor', 'at'],
    };
    for (const [table, names] of Object.entries(expected)) {
      expect(cols(table), table).toEqual(expect.arrayContaining(names));
      const sql = db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).pluck().get(table) as string;
      expect(/\)\s*STRICT(,\s*WITHOUT ROWID)?\s*$/.test(sql.trim()), `${table} is STRICT`).toBe(true);
    }
    db.close();
  });

  it('refuses a database from a newer version of the app', () => {
    const file = tempDb();
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrow(/newer than this app understands/);
  });
});
