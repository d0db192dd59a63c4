-- Operating values per refrigerant circuit, one typed column per channel of channels.csv (same keys).
-- REGULATION.md (p) イ: state values are measured per refrigerant circuit. Stored in UTC (timestamptz).
-- No foreign key to circuit: ingest validates the unit and circuit before writing, and a per-row FK check
-- would cost every insert on the hottest table. TimescaleDB turns this table into a hypertable at start-up
-- when the extension is present (storage/timescale.py); this is the plain-PostgreSQL layout.

CREATE TABLE telemetry (
    equipment_id  bigint NOT NULL,
    circuit_no    smallint NOT NULL,
    ts            timestamptz NOT NULL,
    suction_pressure_mpag    real,
    discharge_pressure_mpag  real,
    discharge_temp_c         real,
    suction_temp_c           real,
    liquid_temp_c            real,
    evap_sat_temp_c          real,
    cond_sat_temp_c          real,
    compressor_voltage_v     real,
    compressor_current_a     real,
    compressor_power_kw      real,
    compressor_shell_temp_c  real,
    air_in_temp_c            real,
    air_out_temp_c           real,
    chw_in_temp_c            real,
    chw_out_temp_c           real,
    cabinet_temp_c           real,
    cabinet_setpoint_c       real,
    ambient_temp_c           real,
    vibration_mm_s           real,
    sight_glass_bubbles      boolean,
    receiver_level_pct       real,
    purge_count              integer,
    compressor_on            boolean,
    defrost_on               boolean,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (equipment_id, circuit_no, ts)
);
-- Time-ordered appends make a BRIN index on ts tiny and effective for range scans across all units.
CREATE INDEX telemetry_ts_brin ON telemetry USING brin (ts);
