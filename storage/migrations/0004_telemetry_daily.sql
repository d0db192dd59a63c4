-- Daily values per circuit (REGULATION.md (p) ハ: values recorded at least once a day, kept >= 1 year).
-- `readings` lets the daily completeness check (p) イ see a day without measurements. Days are UTC days.
-- With TimescaleDB this view is replaced at start-up by a continuous aggregate of the same shape
-- (storage/timescale.py).

CREATE VIEW telemetry_daily AS
SELECT
    equipment_id,
    circuit_no,
    date_trunc('day', ts, 'UTC') AS day_utc,
    count(*) AS readings,
    avg(suction_pressure_mpag) AS suction_pressure_mpag,
    avg(discharge_pressure_mpag) AS discharge_pressure_mpag,
    avg(discharge_temp_c) AS discharge_temp_c,
    avg(suction_temp_c) AS suction_temp_c,
    avg(liquid_temp_c) AS liquid_temp_c,
    avg(evap_sat_temp_c) AS evap_sat_temp_c,
    avg(cond_sat_temp_c) AS cond_sat_temp_c,
    avg(compressor_voltage_v) AS compressor_voltage_v,
    avg(compressor_current_a) AS compressor_current_a,
    avg(compressor_power_kw) AS compressor_power_kw,
    avg(compressor_shell_temp_c) AS compressor_shell_temp_c,
    avg(air_in_temp_c) AS air_in_temp_c,
    avg(air_out_temp_c) AS air_out_temp_c,
    avg(chw_in_temp_c) AS chw_in_temp_c,
    avg(chw_out_temp_c) AS chw_out_temp_c,
    avg(cabinet_temp_c) AS cabinet_temp_c,
    avg(cabinet_setpoint_c) AS cabinet_setpoint_c,
    avg(ambient_temp_c) AS ambient_temp_c,
    avg(vibration_mm_s) AS vibration_mm_s,
    avg(receiver_level_pct) AS receiver_level_pct
FROM telemetry
GROUP BY equipment_id, circuit_no, date_trunc('day', ts, 'UTC');
