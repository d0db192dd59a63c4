-- `fluorowatch worker` (fluorowatch/worker.py): its persistent job store, the history of its job runs and the
-- inspection reminders it has sent.

-- APScheduler 3's SQLAlchemyJobStore table (apscheduler.jobstores.sqlalchemy, tablename "worker_job"), created
-- here so that the schema stays under the migrations; the store would create the same table if it were missing.
-- job_state is APScheduler's pickled job: a textual reference to fluorowatch.worker:run_job, the job id as its
-- only argument, the trigger and the next run time (no database URL, no credentials).
CREATE TABLE worker_job (
    id             varchar(191) PRIMARY KEY,
    next_run_time  double precision,  -- epoch seconds; NULL: paused
    job_state      bytea NOT NULL
);
CREATE INDEX ix_worker_job_next_run_time ON worker_job (next_run_time);

-- One row per job run of any worker: who ran it, when, and how it ended. ``slot`` names what a daily job covered
-- (the local day), so that a day already done is not done again by another worker or after a restart.
CREATE TABLE worker_job_run (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       text NOT NULL,
    worker       text NOT NULL,  -- host:pid
    slot         text,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz,
    outcome      text NOT NULL CHECK (outcome IN ('running', 'ok', 'failed')),
    detail       text NOT NULL DEFAULT ''
);
CREATE INDEX worker_job_run_job ON worker_job_run (job_id, started_at);
CREATE INDEX worker_job_run_slot ON worker_job_run (job_id, slot) WHERE outcome = 'ok';

-- Inspection reminders (compliance/inspection_jobs.py): one per unit, inspection kind, due date and stage
-- (due soon, then overdue), so a manager hears of each due date once, not every day.
CREATE TABLE inspection_reminder (
    equipment_id  bigint NOT NULL REFERENCES equipment (id),
    kind          text NOT NULL CHECK (kind IN ('simple', 'periodic')),
    due_on        date NOT NULL,
    stage         text NOT NULL CHECK (stage IN ('due_soon', 'overdue')),
    alert_id      bigint REFERENCES alert (id),
    sent_at       timestamptz NOT NULL,
    PRIMARY KEY (equipment_id, kind, due_on, stage)
);
