// The rule set (the database is its source of truth) and the materialised violations.
import type { Db as Database } from '../db-types';

export interface RuleRow {
  id: number;
  key: string;
  severity: 'error' | 'warning';
  /** The rule's whole line: `key: severity: expression  # rationale`. */
  text: string;
  enabled: boolean;
}

export interface ViolationInput {
  faceId: number;
  ruleId: number;
  subject: 'labels' | 'predictions' | 'cross';
  detail: unknown;
}

export interface ViolationRow {
  id: number;
  faceId: number;
  imageId: number;
  relPath: string;
  ruleKey: string;
  severity: 'error' | 'warning';
  subject: 'labels' | 'predictions' | 'cross';
  detail: unknown;
}

export interface ViolationQuery {
  datasetId: number;
  ruleKey?: string;
  severity?: 'error' | 'warning';
  subject?: 'labels' | 'predictions' | 'cross';
  faceId?: number;
  cursor?: number;
  limit?: number;
}

export function createRulesRepository(db: Database) {
  const all = db.prepare(`SELECT id, key, severity, text, enabled FROM rules ORDER BY id`);
  const upsert =
    db.prepare(`INSERT INTO rules (key, severity, text, enabled) VALUES (@key, @severity, @text, @enabled)
    ON CONFLICT (key) DO UPDATE SET severity = excluded.severity, text = excluded.text, enabled = excluded.enabled`);
  const remove = db.prepare(`DELETE FROM rules WHERE id = ?`);
  const count = db.prepare(`SELECT count(*) FROM rules`).pluck();
  const clearFace = db.prepare(`DELETE FROM violations WHERE face_id = ?`);
  const clearDataset = db.prepare(`DELETE FROM violations WHERE face_id IN
    (SELECT f.id FROM faces f JOIN images i ON i.id = f.image_id WHERE i.dataset_id = ?)`);
  const insertViolation = db.prepare(`INSERT INTO violations (face_id, rule_id, subject, detail)
    VALUES (@faceId, @ruleId, @subject, @detail)`);
  const where = `i.dataset_id = @datasetId AND (@ruleKey IS NULL OR r.key = @ruleKey)
    AND (@severity IS NULL OR r.severity = @severity) AND (@subject IS NULL OR v.subject = @subject)
    AND (@faceId IS NULL OR v.face_id = @faceId)`;
  const from = `FROM violations v JOIN rules r ON r.id = v.rule_id JOIN faces f ON f.id = v.face_id
    JOIN images i ON i.id = f.image_id`;
  const page = db.prepare(`SELECT v.id, v.face_id AS faceId, f.image_id AS imageId, i.rel_path AS relPath,
      r.key AS ruleKey, r.severity, v.subject, v.detail
    ${from} WHERE ${where} AND v.id > @cursor ORDER BY v.id LIMIT @limit`);
  const total = db.prepare(`SELECT count(*) ${from} WHERE ${where}`).pluck();
  const perRule = db.prepare(`SELECT r.key AS ruleKey, r.severity, v.subject, count(*) AS violations,
      count(DISTINCT v.face_id) AS faces
    ${from} WHERE i.dataset_id = ? GROUP BY r.id, r.key, r.severity, v.subject ORDER BY r.id, v.subject`);

  const toRow = (r: Omit<RuleRow, 'enabled'> & { enabled: number }): RuleRow => ({
    ...r,
    enabled: r.enabled === 1,
  });
  return {
    list(): RuleRow[] {
      return (all.all() as (Omit<RuleRow, 'enabled'> & { enabled: number })[]).map(toRow);
    },
    isEmpty(): boolean {
      return count.get() === 0;
    },
    /** Makes the table equal `rules` (upsert by key, delete the rest); ids of kept keys stay. */
    replaceAll(rules: Omit<RuleRow, 'id'>[]): void {
      const keep = new Set(rules.map((r) => r.key));
      for (const old of this.list()) if (!keep.has(old.key)) remove.run(old.id);
      for (const r of rules) upsert.run({ ...r, enabled: r.enabled ? 1 : 0 });
    },
    replaceFaceViolations(faceId: number, rows: Omit<ViolationInput, 'faceId'>[]): void {
      clearFace.run(faceId);
      for (const r of rows) insertViolation.run({ ...r, faceId, detail: JSON.stringify(r.detail) });
    },
    clearDatasetViolations(datasetId: number): void {
      clearDataset.run(datasetId);
    },
    violations(q: ViolationQuery): { items: ViolationRow[]; total: number; nextCursor: number | null } {
      const limit = q.limit ?? 100;
      const params = {
        datasetId: q.datasetId,
        ruleKey: q.ruleKey ?? null,
        severity: q.severity ?? null,
        subject: q.subject ?? null,
        faceId: q.faceId ?? null,
        cursor: q.cursor ?? 0,
        limit,
      };
      const items = (page.all(params) as (Omit<ViolationRow, 'detail'> & { detail: string })[]).map((v) => ({
        ...v,
        detail: JSON.parse(v.detail) as unknown,
      }));
      const last = items.at(-1);
      return {
        items,
        total: total.get(params) as number,
        nextCursor: items.length === limit && last ? last.id : null,
      };
    },
    countsPerRule(datasetId: number) {
      return perRule.all(datasetId) as {
        ruleKey: string;
        severity: 'error' | 'warning';
        subject: 'labels' | 'predictions' | 'cross';
        violations: number;
        faces: number;
      }[];
    },
  };
}
export type RulesRepository = ReturnType<typeof createRulesRepository>;
