// What `--db` / FACEINSIGHT_DB name: a SQLite file or a PostgreSQL URL, and how a URL is shown (password hidden).

/** `postgres://…` or `postgresql://…`: the team database; anything else is a SQLite file path. */
export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}

/** The target as it may be logged or shown: a URL's password becomes `***` (also one given as ?password=). */
export function redactDbTarget(target: string): string {
  if (!isPostgresUrl(target)) return target;
  try {
    const u = new URL(target);
    if (u.password) u.password = '***';
    if (u.searchParams.has('password')) u.searchParams.set('password', '***');
    return u.toString();
  } catch {
    // Not parseable as a URL: hide everything between the scheme and the host rather than risk the password.
    return target.replace(/^(postgres(?:ql)?:\/\/)[^@/]*@/i, '$1***@');
  }
}
