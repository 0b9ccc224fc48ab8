-- The run store of a workspace (workspace.db). Version 5 (see MIGRATIONS in runstore.py).
-- Every statement is idempotent: an older store is brought up to date by running it again.
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
    name    TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id              TEXT PRIMARY KEY,
    experiment      TEXT NOT NULL REFERENCES experiments(name),
    status          TEXT NOT NULL,
    created         REAL NOT NULL,
    started         REAL,
    ended           REAL,
    description     TEXT NOT NULL DEFAULT '',
    pipeline_file   TEXT,
    pipeline_json   TEXT NOT NULL,
    parameters_json TEXT NOT NULL,
    tags_json       TEXT NOT NULL,
    options_json    TEXT NOT NULL,
    driver_pid      INTEGER,
    driver_started  REAL,
    error           TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_created ON runs (created DESC);
CREATE INDEX IF NOT EXISTS runs_by_experiment ON runs (experiment, created DESC);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created DESC);
CREATE TABLE IF NOT EXISTS step_runs (
    id           TEXT PRIMARY KEY,
    run_id       TEXT NOT NULL REFERENCES runs(id),
    name         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    status       TEXT NOT NULL,
    target       TEXT NOT NULL,
    depends_json TEXT NOT NULL,
    spec_json    TEXT NOT NULL,
    step_dir     TEXT NOT NULL,
    started      REAL,
    ended        REAL,
    exit_code    INTEGER,
    error        TEXT,
    fingerprint  TEXT,
    reused_from  TEXT,
    outputs_json TEXT NOT NULL DEFAULT '{}',
    snapshot_id  TEXT,
    fingerprint_json TEXT,
    reuse_json   TEXT NOT NULL DEFAULT '{}',
    git_json     TEXT NOT NULL DEFAULT '{}',
    pid          INTEGER,
    pid_started  REAL,
    worker       TEXT,
    dashboard_link TEXT,
    UNIQUE (run_id, name)
);
CREATE INDEX IF NOT EXISTS step_runs_by_run ON step_runs (run_id, position);
CREATE INDEX IF NOT EXISTS step_runs_by_fingerprint ON step_runs (fingerprint, status);
CREATE INDEX IF NOT EXISTS step_runs_by_name ON step_runs (name, status);
CREATE TABLE IF NOT EXISTS events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  TEXT NOT NULL,
    step    TEXT,
    ts      REAL NOT NULL,
    kind    TEXT NOT NULL,
    status  TEXT,
    message TEXT
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, id);
CREATE TABLE IF NOT EXISTS metrics (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      TEXT NOT NULL,
    step_run_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    value_json  TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    ts          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS metrics_by_step ON metrics (step_run_id, id);
CREATE INDEX IF NOT EXISTS metrics_by_run ON metrics (run_id, id);
-- Registered datastores (stores/datastore_registry.py). url is NULL for the built-in ones
-- (.pipelines/datastores/<name>/), which have a row only once one was made the default.
-- options_json holds the fsspec storage options as given, credentials included.
CREATE TABLE IF NOT EXISTS datastores (
    name           TEXT PRIMARY KEY,
    url            TEXT,
    options_json   TEXT NOT NULL DEFAULT '{}',
    datastore_type TEXT NOT NULL DEFAULT 'Fsspec',
    is_default     INTEGER NOT NULL DEFAULT 0,
    created        REAL NOT NULL
);

-- Registries of the v1 SDK objects (schema 4).
CREATE TABLE IF NOT EXISTS datasets (
    name            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    definition_json TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    files_json      TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    tags_json       TEXT NOT NULL DEFAULT '{}',
    created         REAL NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS environments (
    name            TEXT NOT NULL,
    version         INTEGER NOT NULL,
    definition_json TEXT NOT NULL,
    created         REAL NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS compute_targets (
    name        TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    config_json TEXT NOT NULL,
    created     REAL NOT NULL
);
