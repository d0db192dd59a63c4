-- Hourly and daily values per circuit, kept as maintained tables on plain PostgreSQL (issue 4).
-- REGULATION.md (p) ハ: values recorded at least once a day and kept >= 1 year. Unlike the 0004 view, these
-- rows outlive the raw telemetry they summarise, so raw retention can never take the daily values with it.
-- storage/rollups.py keeps them current (buckets touched by rows received since the last refresh); with
-- TimescaleDB, storage/timescale.py replaces both tables by continuous aggregates of the same names and columns.
-- Buckets are UTC hours and days; `readings` counts rows, so a day without measurements is visible. A day is
-- written once it has ended (the open hour is kept current); late readings update past buckets.

DROP VIEW telemetry_daily;

CREATE TABLE telemetry_hourly (
    equipment_id  bigint NOT NULL,
    circuit_no    smallint NOT NULL,
    hour_utc      timestamptz NOT NULL,
    readings      bigint NOT NULL,
    suction_pressure_mpag    double precision,
    discharge_pressure_mpag  double precision,
    discharge_temp_c         double precision,
    suction_temp_c           double precision,
    liquid_temp_c            double precision,
    evap_sat_temp_c          double precision,
    cond_sat_temp_c          double precision,
    compressor_voltage_v     double precision,
    compressor_current_a     double precision,
    compressor_power_kw      double precision,
    compressor_shell_temp_c  double precision,
    air_in_temp_c            double precision,
    air_out_temp_c           double precision,
    chw_in_temp_c            double precision,
    chw_out_temp_c           double precision,
    cabinet_temp_c           double precision,
    cabinet_setpoint_c       double precision,
    ambient_temp_c           double precision,
    vibration_mm_s           double precision,
    receiver_level_pct       double precision,
    PRIMARY KEY (equipment_id, circuit_no, hour_utc)
);

CREATE TABLE telemetry_daily (
    equipment_id  bigint NOT NULL,
    circuit_no    smallint NOT NULL,
    day_utc       timestamptz NOT NULL,
    readings      bigint NOT NULL,
    suction_pressure_mpag    double precision,
    discharge_pressure_mpag  double precision,
    discharge_temp_c         double precision,
    suction_temp_c           double precision,
    liquid_temp_c            double precision,
    evap_sat_temp_c          double precision,
    cond_sat_temp_c          double precision,
    compressor_voltage_v     double precision,
    compressor_current_a     double precision,
    compressor_power_kw      double precision,
    compressor_shell_temp_c  double precision,
    air_in_temp_c            double precision,
    air_out_temp_c           double precision,
    chw_in_temp_c            double precision,
    chw_out_temp_c           double precision,
    cabinet_temp_c           double precision,
    cabinet_setpoint_c       double precision,
    ambient_temp_c           double precision,
    vibration_mm_s           double precision,
    receiver_level_pct       double precision,
    PRIMARY KEY (equipment_id, circuit_no, day_utc)
);

-- How far refresh_rollups has read telemetry, by received_at (late readings arrive with an old ts).
CREATE TABLE rollup_watermark (
    name             text PRIMARY KEY,
    refreshed_until  timestamptz NOT NULL
);

-- Rows are appended in arrival order, so a BRIN index finds the rows received since the watermark cheaply;
-- autosummarize has each filled block range summarized by autovacuum instead of being scanned until VACUUM.
CREATE INDEX telemetry_received_at_brin ON telemetry USING brin (received_at) WITH (autosummarize = on);
