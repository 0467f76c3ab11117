/** Schema migrations, applied in order; PRAGMA user_version records how many have run. */
export const MIGRATIONS: readonly string[] = [
  // 1: the core pipeline
  `
  CREATE TABLE runs (
    id           INTEGER PRIMARY KEY,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    tool_version TEXT NOT NULL,
    command      TEXT NOT NULL,
    matrix_name  TEXT NOT NULL,
    matrix_hash  TEXT NOT NULL,
    tree         TEXT NOT NULL
  );
  CREATE TABLE commits (
    sha         TEXT PRIMARY KEY,
    tree_sha    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    author      TEXT NOT NULL,
    author_date TEXT NOT NULL
  );
  CREATE TABLE cells (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    definition  TEXT NOT NULL,
    UNIQUE (name, config_hash)
  );
  CREATE TABLE builds (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    commit_sha   TEXT NOT NULL REFERENCES commits(sha),
    cell_id      INTEGER NOT NULL REFERENCES cells(id),
    status       TEXT NOT NULL CHECK (status IN ('PASS','FAIL','ERROR')),
    stage        TEXT NOT NULL CHECK (stage IN ('kconfig','build')),
    exit_code    INTEGER,
    timed_out    INTEGER NOT NULL DEFAULT 0,
    seconds      REAL NOT NULL,
    started_at   TEXT NOT NULL,
    log_path     TEXT,
    runtime      TEXT NOT NULL,
    image        TEXT,
    toolchain    TEXT NOT NULL
  );
  CREATE INDEX builds_cell_commit ON builds (cell_id, commit_sha, id);
  CREATE INDEX builds_commit ON builds (commit_sha);
  CREATE INDEX builds_run ON builds (run_id);
  CREATE TABLE diagnostics (
    id          INTEGER PRIMARY KEY,
    build_id    INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL CHECK (severity IN ('error','warning')),
    file        TEXT,
    line        INTEGER,
    "column"    INTEGER,
    symbol      TEXT,
    module      TEXT,
    message     TEXT NOT NULL,
    fingerprint TEXT NOT NULL
  );
  CREATE INDEX diagnostics_build ON diagnostics (build_id);
  CREATE INDEX diagnostics_fingerprint ON diagnostics (fingerprint);
  `,
  // 2: nightly runs (kmatrix nightly): which run built which ref, compared against which baseline
  `
  CREATE TABLE nightlies (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER REFERENCES runs(id) ON DELETE SET NULL,
    ref          TEXT NOT NULL,
    sha          TEXT NOT NULL,
    matrix_name  TEXT NOT NULL,
    matrix_hash  TEXT NOT NULL,
    baseline_sha TEXT,
    created_at   TEXT NOT NULL,
    regressions  INTEGER NOT NULL DEFAULT 0,
    exit_code    INTEGER
  );
  CREATE INDEX nightlies_matrix ON nightlies (matrix_name, id);
  -- the builds a nightly compared (a cached result is an older run's build, so run_id alone does not say)
  CREATE TABLE nightly_builds (
    nightly_id INTEGER NOT NULL REFERENCES nightlies(id) ON DELETE CASCADE,
    build_id   INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
    PRIMARY KEY (nightly_id, build_id)
  );
  `,
  // 3: bisects (kmatrix bisect): one row per bisect, one per step; verdicts are relative to the endpoints
  // (good = like --good, bad = like --bad; with reverse=1 --good is the failing side)
  `
  CREATE TABLE bisects (
    id          INTEGER PRIMARY KEY,
    created_at  TEXT NOT NULL,
    tree        TEXT NOT NULL,
    matrix      TEXT,
    cell        TEXT NOT NULL,
    config_hash TEXT NOT NULL,
    runtime     TEXT NOT NULL,
    good        TEXT NOT NULL,
    bad         TEXT NOT NULL,
    reverse     INTEGER NOT NULL DEFAULT 0,
    match       TEXT,
    target      TEXT,
    state       TEXT NOT NULL CHECK (state IN ('running','found','ambiguous','invalid')),
    result      TEXT
  );
  CREATE TABLE bisect_steps (
    id         INTEGER PRIMARY KEY,
    bisect_id  INTEGER NOT NULL REFERENCES bisects(id) ON DELETE CASCADE,
    sha        TEXT NOT NULL,
    verdict    TEXT NOT NULL CHECK (verdict IN ('good','bad','skip')),
    build_id   INTEGER REFERENCES builds(id) ON DELETE SET NULL,
    seconds    REAL NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX bisect_steps_bisect ON bisect_steps (bisect_id, id);
  `,
  // 4: partial nightlies (interrupted, or with an ERROR / unbuilt cell) are never a baseline. Nightlies recorded
  // before this version are judged by what they stored: exit code 3 or an ERROR build among theirs.
  `
  ALTER TABLE nightlies ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE nightlies ADD COLUMN partial_reason TEXT;
  UPDATE nightlies SET partial = 1, partial_reason = 'recorded before kmatrix marked partial nightlies: exit code 3 or an ERROR cell'
   WHERE exit_code = 3 OR EXISTS (
     SELECT 1 FROM nightly_builds nb JOIN builds b ON b.id = nb.build_id WHERE nb.nightly_id = nightlies.id AND b.status = 'ERROR');
  CREATE INDEX nightlies_complete ON nightlies (matrix_name, partial, id);
  `,
  // 5: shards and merges (kmatrix run --shard, kmatrix merge): where each run and build came from
  `
  CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  -- identifies this store in the builds it exports, so that merging the same store twice adds nothing
  INSERT INTO store_meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))));
  ALTER TABLE runs ADD COLUMN shard TEXT;   -- 'I/N' of a sharded run
  ALTER TABLE runs ADD COLUMN host TEXT;    -- hostname the run ran on
  ALTER TABLE runs ADD COLUMN cells TEXT;   -- JSON list of the cells the run was asked to build
  ALTER TABLE runs ADD COLUMN origin TEXT;  -- '<store_id>:<run id>' of the store a merged run came from
  ALTER TABLE builds ADD COLUMN origin TEXT; -- '<store_id>:<build id>' of a merged build
  CREATE UNIQUE INDEX runs_origin ON runs (origin) WHERE origin IS NOT NULL;
  CREATE UNIQUE INDEX builds_origin ON builds (origin) WHERE origin IS NOT NULL;
  CREATE TABLE merges (
    id           INTEGER PRIMARY KEY,
    merged_at    TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    source       TEXT NOT NULL,            -- path of the merged store as given
    source_store TEXT NOT NULL,            -- its store_id
    matrix_name  TEXT NOT NULL,
    matrix_hash  TEXT NOT NULL,
    shards       TEXT NOT NULL,            -- JSON list of the shards its runs ran as
    hosts        TEXT NOT NULL,            -- JSON list of the hosts its runs ran on
    builds_added INTEGER NOT NULL,
    conflicts    INTEGER NOT NULL
  );
  -- a build that another store already had with a different result: reported, never overwritten
  CREATE TABLE merge_conflicts (
    id            INTEGER PRIMARY KEY,
    merge_id      INTEGER NOT NULL REFERENCES merges(id) ON DELETE CASCADE,
    origin        TEXT NOT NULL,
    kept_build_id INTEGER NOT NULL REFERENCES builds(id) ON DELETE CASCADE,
    commit_sha    TEXT NOT NULL,
    cell          TEXT NOT NULL,
    detail        TEXT NOT NULL
  );
  `,
  // 6: where a build's time went (issue 11) and what ccache did. NULL = not measured: builds recorded before this
  // version, a stage that did not run, a result reused from another build, a build without ccache.
  `
  ALTER TABLE builds ADD COLUMN kconfig_seconds REAL;     -- Kconfig stage, its container start(s) included
  ALTER TABLE builds ADD COLUMN kconfig_skipped INTEGER;  -- 1: skipped, none of its inputs changed
  ALTER TABLE builds ADD COLUMN make_seconds REAL;        -- make of the build targets
  ALTER TABLE builds ADD COLUMN compress_seconds REAL;    -- log compression
  ALTER TABLE builds ADD COLUMN classify_seconds REAL;    -- log classification
  ALTER TABLE builds ADD COLUMN store_seconds REAL;       -- recording the build (its transaction)
  ALTER TABLE builds ADD COLUMN ccache_hits INTEGER;
  ALTER TABLE builds ADD COLUMN ccache_misses INTEGER;
  ALTER TABLE builds ADD COLUMN ccache_uncacheable INTEGER;
  `,
];
