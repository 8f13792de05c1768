import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONFIG_ENV, CONFIG_FLAG, SETTING_NAMES, SETTINGS } from '../../src/server/config/settings.js';
import { readDoc, tableAfter } from './support.js';

const HEADER = '| flag | environment | file key | default | meaning |';

interface Row {
  flag: string;
  metavar: string;
  env: string;
  file: string;
  shownDefault: string;
}

/** The settings table of docs/configuration.md, one Row per flag. */
function documentedRows(md: string): Map<string, Row> {
  const table = tableAfter(md, HEADER);
  assert.ok(table !== undefined, `docs/configuration.md has no table headed ${HEADER}`);
  const rows = new Map<string, Row>();
  for (const [flagCell = '', envCell = '', fileCell = '', defaultCell = ''] of table) {
    const flag = /^`--([a-z-]+)(?: ([^`]+))?`$/.exec(flagCell);
    assert.ok(flag !== null, `not a flag cell: ${flagCell}`);
    assert.ok(!rows.has(flag[1]!), `--${flag[1]} has two rows`);
    rows.set(flag[1]!, {
      flag: flag[1]!,
      metavar: flag[2] ?? '',
      env: /`(KAFKA_WS_PROXY_[A-Z_]+)`/.exec(envCell)?.[1] ?? '',
      file: /^`([a-z_]+)`/.exec(fileCell)?.[1] ?? '',
      shownDefault: defaultCell.replace(/`/g, ''),
    });
  }
  return rows;
}

/** What the table must say: every setting of SETTINGS, plus --config, which has no file key. */
function expectedRows(): Map<string, Row> {
  const rows = new Map<string, Row>();
  rows.set(CONFIG_FLAG, { flag: CONFIG_FLAG, metavar: 'FILE', env: CONFIG_ENV, file: '', shownDefault: 'none' });
  for (const name of SETTING_NAMES) {
    const s = SETTINGS[name];
    rows.set(s.flag, { flag: s.flag, metavar: s.kind.bare === true ? '' : s.kind.metavar, env: s.env, file: s.file, shownDefault: s.shownDefault });
  }
  return rows;
}

test('docs/configuration.md has a row for every setting and --config, and none for a setting that does not exist', () => {
  const documented = documentedRows(readDoc('docs/configuration.md'));
  const expected = expectedRows();
  assert.ok(expected.size >= 14);
  assert.deepEqual([...documented.keys()].sort(), [...expected.keys()].sort());
});

test('each row of docs/configuration.md names the flag, variable, file key and default the settings table has', () => {
  const documented = documentedRows(readDoc('docs/configuration.md'));
  for (const [flag, want] of expectedRows()) {
    assert.deepEqual(documented.get(flag), want, `--${flag}`);
  }
});
