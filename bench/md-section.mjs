// One "## Heading" section of a markdown file replaced (or appended), the rest left as it is.
import fs from 'node:fs';

export function replaceSection(file, heading, section) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const lines = old.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) {
    fs.writeFileSync(file, `${old.trimEnd()}${old.trim() ? '\n\n' : ''}${section.trimEnd()}\n`);
    return;
  }
  let end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  if (end < 0) end = lines.length;
  const next = lines.slice(end).join('\n');
  fs.writeFileSync(file, `${lines.slice(0, start).join('\n')}${start ? '\n' : ''}${section.trimEnd()}\n${next ? `\n${next}` : ''}`);
}
