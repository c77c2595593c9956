// The SQLite -> PostgreSQL translator: placeholders, the few mechanical rewrites, and loud refusals.
import { describe, expect, it } from 'vitest';
import { translate } from '../../../../src/main/store/pg/translate';

describe('translate', () => {
  it('numbers positional placeholders and keeps ? inside strings', () => {
    const t = translate(`SELECT '?' AS q, a FROM t WHERE a = ? AND b = ?`);
    expect(t.text).toBe(`SELECT '?' AS q, a FROM t WHERE a = $1 AND b = $2`);
    expect(t.count).toBe(2);
    expect(t.names).toBeNull();
  });

  it('gives a named parameter one $n wherever it appears, and its IS NULL test a $n of its own as text', () => {
    const t = translate(`SELECT 1 FROM t WHERE (@s IS NULL OR s = @s) AND id > @cursor AND x = :s`);
    expect(t.text).toBe(`SELECT 1 FROM t WHERE (CAST($1 AS text) IS NULL OR s = $2) AND id > $3 AND x = $2`);
    expect(t.names).toEqual(['s', 's', 'cursor']);
    expect(t.count).toBe(3);
  });

  it('leaves casts, $$ bodies and text in comments and quoted names alone', () => {
    const t = translate(`SELECT a::bigint, "@x" FROM t -- @y ?\nWHERE b = @z`);
    expect(t.text).toBe(`SELECT a::bigint, "@x" FROM t -- @y ?\nWHERE b = $1`);
    expect(t.names).toEqual(['z']);
  });

  it('rewrites INSERT OR IGNORE, CROSS JOIN … ON and temp.', () => {
    expect(translate(`INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id`).text).toBe(
      `INSERT INTO t (a) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id`,
    );
    expect(translate(`SELECT 1 FROM a CROSS JOIN faces f ON f.id = a.id CROSS JOIN b`).text).toBe(
      `SELECT 1 FROM a JOIN faces f ON f.id = a.id CROSS JOIN b`,
    );
    expect(translate(`DELETE FROM temp.merge_pairs`).text).toBe(`DELETE FROM pg_temp.merge_pairs`);
  });

  it('maps folded aliases back to their camelCase spelling', () => {
    const t = translate(`SELECT face_id AS faceId, CAST(x AS INTEGER) AS n FROM t`);
    expect([...t.aliases]).toEqual([['faceid', 'faceId']]);
  });

  it.each([
    [`SELECT json_extract(v, '$.a') FROM t`, /SQLite JSON function/],
    [`SELECT value FROM json_each(?)`, /json_each\(\) over a parameter/],
    [`SELECT max(a, b) FROM t`, /scalar max/],
    [`SELECT max(rowid) FROM t`, /rowid/],
    [`UPDATE OR IGNORE t SET a = 1`, /UPDATE OR/],
    [`CREATE TABLE t (a INTEGER) STRICT`, /STRICT/],
    [`SELECT total(a) FROM t`, /SQLite function/],
    [`SELECT a FROM t WHERE a = ? AND b = @b`, /both \? and named/],
  ])('refuses SQLite-only SQL: %s', (sql, why) => {
    expect(() => translate(sql)).toThrow(why);
  });

  it('accepts the PostgreSQL spelling written per dialect', () => {
    expect(() => translate(`SELECT max(a) FROM json_each(CAST(@j AS json)) e`)).not.toThrow();
  });
});
