// A floor under the planning benchmark: what node needs to read the 1,000-point configuration
// (bench/shared/large-config.mjs), look up the paths the plan looks up, and write text of the
// shape and size of its text plan, with no model at all: template literals over the parsed
// files, the step lines of this one configuration written out by hand. Not a plan (nothing is
// checked, resolved or quoted beyond these paths): a measure of how close to `node -e 0` any plan
// of this size can come on the machine at hand.
// Usage: node bench/shared/plan-floor.mjs CONFIG_DIR > text
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const collectPoints = [];
const backupPoints = [];
for (const file of readdirSync(dir).sort()) {
  const sections = [];
  let section;
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  for (const [index, line] of lines.entries()) {
    const header = /^\[(\w+)(?: "([^"]*)")?\]$/.exec(line);
    if (header !== null) {
      section = { name: header[2], line: index + 1, values: {} };
      sections.push(section);
      continue;
    }
    const entry = /^(\w+)\s*=\s*(.*)$/.exec(line);
    if (entry !== null && section !== undefined) section.values[entry[1]] = entry[2];
  }
  const point = { name: file.replace(/\.\w+$/, ''), sections };
  (file.endsWith('.collect') ? collectPoints : backupPoints).push(point);
}

const word = (text) => (/^[\w@%+:,./-]+$/.test(text) ? text : `'${text}'`);
const exists = (path) => statSync(path, { throwIfNoEntry: false }) !== undefined;
const HOLD = "'.~polyarchiv~'";
const RSYNC = `-a --modify-window=-1 -X -A`;
const HOLDING = `'--temp-dir=.~polyarchiv~' '--filter=H .~polyarchiv~/' '--filter=R .~polyarchiv~/' --delete-delay --stats --no-h -S`;

/** A guarded copy's lines, as the text plan shows them. */
const copyLines = (what, from, to, extra) =>
  `         $ polyarchiv_copy 50 no ${word(what)} '"${to}"' '' '' listing ${word(`${to}/.~polyarchiv~`)} \\
             12 find ${word(`${from}/`)} -mindepth 1 -name ${HOLD} -type d -prune -o -printf '%y %s\\n' \\
             9 rsync -a -n --stats --no-h '--filter=H .~polyarchiv~/' -- ${word(`${to}/`)} "\${polyarchiv_work}"/measure \\
             rsync ${RSYNC}${extra} --delay-updates '--partial-dir=.~polyarchiv~' ${HOLDING} -- ${word(`${from}/`)} ${word(`${to}/`)}
         $ sync -f -- ${word(to)}
`;

let out = '';
for (const cp of collectPoints) {
  const root = cp.sections[0].values.local_path;
  out += `+ collect point ${cp.name}  [${cp.name}.collect:1 [point]]\n    due: frequency daily, never succeeded\n`;
  out += `    1. create the collect directory  [${cp.name}.collect:3 [point]]\n         $ polyarchiv_make_dir ${word(`${root}/backups`)}\n`;
  let step = 2;
  for (const source of cp.sections.slice(1)) {
    const from = source.values.source_path;
    const to = `${root}/backups/${source.values.destination_path}`;
    const at = `[${cp.name}.collect:${source.line} [source "${source.name}"]]`;
    // The plan warns about a source that does not exist: it looks each one up.
    exists(from);
    out += `    ${step++}. create the copy of source "${source.name}"  ${at}\n         $ polyarchiv_make_dir ${word(to)}\n`;
    out += `    ${step++}. update the copy of source "${source.name}" from ${from}  ${at}\n`;
    out += copyLines(`the copy of source "${source.name}"`, from, to, '');
  }
  out += `    records ${root}/metadata/collect_point/${cp.name}.json\n\n`;
  exists(`${root}/metadata/collect_point/${cp.name}.json`);
  for (const bp of backupPoints) {
    const url = bp.sections[0].values.remote_url.replace('{name}', cp.name);
    const state = `${root}/metadata/remote-${bp.name}/remote/${bp.name}.json`;
    exists(state);
    out += `+ backup point ${bp.name} of ${cp.name}  [${bp.name}.backup:1 [point]]\n    due: frequency always, never succeeded\n    only if collect:${cp.name} succeeds\n`;
    out += `    1. check that collect point "${cp.name}" has something to send (${root}/backups)  [${cp.name}.collect:3 [point]]\n         $ test -e ${word(`${root}/backups`)} || polyarchiv_explain "$?" 1 "collect point \\"${cp.name}\\" has nothing to send: its directory ${root}/backups, set by option 'local_path' (${cp.name}.collect:3 [point]), does not exist; the collect point has not succeeded on this machine: run it first, in a backup that does not skip it (without --skip-collect)"\n`;
    out += `    2. create the mirror of "${cp.name}"  [${bp.name}.backup:3 [point]]\n         $ polyarchiv_make_dir ${word(url)}\n`;
    out += `    3. update the mirror of "${cp.name}" from ${root}/backups  [${bp.name}.backup:3 [point]]\n`;
    out += copyLines(`the mirror of "${cp.name}"`, `${root}/backups`, url, ' -H');
    out += `    records ${state}\n\n`;
  }
  if (out.length >= 65536) {
    process.stdout.write(out);
    out = '';
  }
}
process.stdout.write(out);
