// Rewrites the change-kind table of docs/contracts.md from the rules, so the two never drift.
import { readFileSync, writeFileSync } from 'node:fs';
import { changeKinds } from '../src/contract/evolution/rules.js';

const file = new URL('../docs/contracts.md', import.meta.url);
const rows = Object.entries(changeKinds).map(
  ([kind, info]) => `| \`${kind}\` | ${info.class} | ${info.description} |`,
);
const table = ['| Kind | Class | Meaning |', '|---|---|---|', ...rows].join('\n');
const doc = readFileSync(file, 'utf8').replace(
  /<!-- change-kinds:start -->[\s\S]*<!-- change-kinds:end -->/,
  `<!-- change-kinds:start -->\n${table}\n<!-- change-kinds:end -->`,
);
writeFileSync(file, doc);
