// Where a command line hands over to Django's management utility: manage.py, django-admin, or
// `python -m django` (django/__main__.py runs the same ManagementUtility as django-admin), so the
// word after the returned index is the subcommand (migrate, collectstatic …) and --settings follows.

const isManageProgram = (word: string) => /(^|\/)manage\.py$/.test(word) || /(^|\/)django-admin(\.py)?$/.test(word);

/** Index of the word the management subcommand follows, or -1 when the words run no management utility. */
export function manageIndex(words: readonly string[]): number {
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (isManageProgram(word)) return i;
    // python's -m takes the module as the next word or glued to it (-mdjango).
    if (word === "-m" && words[i + 1] === "django") return i + 1;
    if (word === "-mdjango") return i;
  }
  return -1;
}
