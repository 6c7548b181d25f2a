// Directory completion (spec §1.1) against a temp tree; the home directory is a parameter, not $HOME.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  DIRS_DEFAULT_LIMIT,
  DIRS_MAX_LIMIT,
  expandPrefix,
  listDirs,
  parseDirsLimit,
} from "../../src/server/fs/dirs.js";

let root: string;
let home: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), "sentinel-dirs-"));
  home = join(root, "home");
  for (const d of ["Alpha", "alpha2", "beta", ".hidden", "Beta-Two", "_under", "9lives", "zeta/inner"]) {
    mkdirSync(join(home, d), { recursive: true });
  }
  writeFileSync(join(home, "alpha.txt"), "file");
  writeFileSync(join(home, "bfile"), "file");
  symlinkSync(join(home, "zeta"), join(home, "link-to-dir"));
  symlinkSync(join(home, "bfile"), join(home, "link-to-file"));
  symlinkSync(join(root, "missing"), join(home, "link-broken"));
  mkdirSync(join(root, "many"));
  for (let i = 0; i < 80; i++) mkdirSync(join(root, "many", `d${String(i).padStart(2, "0")}`));
  mkdirSync(join(root, "locked", "inside"), { recursive: true });
  chmodSync(join(root, "locked"), 0o000);
});

after(() => {
  chmodSync(join(root, "locked"), 0o700);
  rmSync(root, { recursive: true, force: true });
});

const at = (...names: string[]) => names.map((n) => join(home, n));

describe("parseDirsLimit", () => {
  test("defaults, clamps and reads integers like Go's Atoi", () => {
    const cases: Array<[string | undefined, number]> = [
      [undefined, DIRS_DEFAULT_LIMIT],
      ["", DIRS_DEFAULT_LIMIT],
      ["0", DIRS_DEFAULT_LIMIT],
      ["-3", DIRS_DEFAULT_LIMIT],
      ["abc", DIRS_DEFAULT_LIMIT],
      ["5x", DIRS_DEFAULT_LIMIT],
      ["1.5", DIRS_DEFAULT_LIMIT],
      ["1e1", DIRS_DEFAULT_LIMIT],
      ["0x10", DIRS_DEFAULT_LIMIT],
      [" 5", DIRS_DEFAULT_LIMIT],
      ["99999999999999999999", DIRS_DEFAULT_LIMIT],
      ["5", 5],
      ["+7", 7],
      ["007", 7],
      ["64", 64],
      ["65", DIRS_MAX_LIMIT],
      ["9223372036854775807", DIRS_MAX_LIMIT],
    ];
    for (const [raw, want] of cases) assert.equal(parseDirsLimit(raw), want, `limit=${raw}`);
  });
});

describe("expandPrefix", () => {
  test("home forms expand; ~user and relative paths do not", () => {
    assert.equal(expandPrefix("", "/h"), "/h/");
    assert.equal(expandPrefix("~", "/h"), "/h/");
    assert.equal(expandPrefix("~/", "/h"), "/h/");
    assert.equal(expandPrefix("~/x", "/h"), "/h/x");
    assert.equal(expandPrefix("~/x/", "/h"), "/h/x/");
    assert.equal(expandPrefix("/abs/p", "/h"), "/abs/p");
    assert.equal(expandPrefix("~user", "/h"), undefined);
    assert.equal(expandPrefix("~user/x", "/h"), undefined);
    assert.equal(expandPrefix("rel/x", "/h"), undefined);
    assert.equal(expandPrefix("./x", "/h"), undefined);
    assert.equal(expandPrefix("", ""), undefined);
    assert.equal(expandPrefix("~/x", ""), undefined);
  });
});

describe("listDirs", () => {
  test("an empty prefix and ~ list home: directories only, hidden included, sorted case-insensitively", async () => {
    const all = at(
      ".hidden",
      "9lives",
      "_under",
      "Alpha",
      "alpha2",
      "beta",
      "Beta-Two",
      "link-to-dir",
      "zeta",
    );
    assert.deepEqual(await listDirs("", 64, home), all);
    assert.deepEqual(await listDirs("~", 64, home), all);
    assert.deepEqual(await listDirs("~/", 64, home), all);
    assert.deepEqual(await listDirs(`${home}/`, 64, home), all);
  });

  test("a prefix without a trailing slash filters its directory by name, case-insensitively", async () => {
    assert.deepEqual(await listDirs("~/al", 12, home), at("Alpha", "alpha2"));
    assert.deepEqual(await listDirs(`${home}/ALPHA`, 12, home), at("Alpha", "alpha2"));
    assert.deepEqual(await listDirs(`${home}/b`, 12, home), at("beta", "Beta-Two"));
    assert.deepEqual(await listDirs(`${home}/.`, 12, home), at(".hidden"));
    assert.deepEqual(await listDirs(`${home}/nothing`, 12, home), []);
    assert.deepEqual(await listDirs("~/zeta/", 12, home), at("zeta/inner"));
  });

  test("symbolic links to directories count; links to files and broken links do not", async () => {
    assert.deepEqual(await listDirs("~/link", 12, home), at("link-to-dir"));
    assert.deepEqual(await listDirs("~/link-to-dir/", 12, home), at("link-to-dir/inner"));
  });

  test("ties on the folded name are broken by full path", async () => {
    const dir = join(root, "ties");
    mkdirSync(join(dir, "ab"), { recursive: true });
    mkdirSync(join(dir, "AB"));
    mkdirSync(join(dir, "Ab"));
    assert.deepEqual(await listDirs(`${dir}/`, 12, home), [
      join(dir, "AB"),
      join(dir, "Ab"),
      join(dir, "ab"),
    ]);
  });

  test("results are truncated to the limit", async () => {
    const many = await listDirs(`${root}/many/`, 5, home);
    assert.deepEqual(
      many,
      ["d00", "d01", "d02", "d03", "d04"].map((n) => join(root, "many", n)),
    );
    assert.equal((await listDirs(`${root}/many/`, DIRS_MAX_LIMIT, home)).length, 64);
    assert.equal((await listDirs(`${root}/many/d1`, DIRS_MAX_LIMIT, home)).length, 10);
  });

  test("the root directory can be listed", async () => {
    const top = await listDirs("/", 64, home);
    assert.ok(top.includes("/tmp") || top.includes("/usr"), top.join(","));
    assert.ok(top.every((p) => /^\/[^/]+$/.test(p)));
  });

  test("~user, relative prefixes and a missing home give []", async () => {
    assert.deepEqual(await listDirs("~root", 12, home), []);
    assert.deepEqual(await listDirs("~root/", 12, home), []);
    assert.deepEqual(await listDirs("home", 12, root), []);
    assert.deepEqual(await listDirs("./", 12, home), []);
    assert.deepEqual(await listDirs("", 12, ""), []);
  });

  test("missing, non-directory and odd paths give [] rather than an error", async () => {
    assert.deepEqual(await listDirs(`${root}/missing/`, 12, home), []);
    assert.deepEqual(await listDirs(`${home}/bfile/`, 12, home), []);
    assert.deepEqual(await listDirs(`${home}/a\0b`, 12, home), []);
    assert.deepEqual(await listDirs(`${home}/a\0b/`, 12, home), []);
  });

  test("an unreadable directory gives []", {
    skip: process.getuid?.() === 0 && "root reads anything",
  }, async () => {
    assert.deepEqual(await listDirs(`${root}/locked/`, 12, home), []);
    assert.deepEqual(await listDirs(`${root}/locked/in`, 12, home), []);
  });
});
