-- The lowest and highest value of each measurement channel per hour and per day, next to the average (issue 10):
-- the unit page charts a band (min..max) around the average when a range is too long for raw readings.
-- Columns <channel>_min and <channel>_max, in channels.csv order, after the averages of 0007.
-- Existing buckets are filled from the raw rows still stored; a bucket whose raw rows retention already deleted
-- keeps NULL extremes (its average stays). storage/rollups.py maintains the new columns from now on.
-- With TimescaleDB the rollups are continuous aggregates, which cannot gain columns: this migration leaves them
-- alone (storage/timescale.py creates new aggregates with the extremes; storage/telemetry_queries.py answers
-- NULL extremes from an aggregate without them).

DO $$
DECLARE
    channels text[] := ARRAY[
        'suction_pressure_mpag', 'discharge_pressure_mpag', 'discharge_temp_c', 'suction_temp_c', 'liquid_temp_c',
        'evap_sat_temp_c', 'cond_sat_temp_c', 'compressor_voltage_v', 'compressor_current_a', 'compressor_power_kw',
        'compressor_shell_temp_c', 'air_in_temp_c', 'air_out_temp_c', 'chw_in_temp_c', 'chw_out_temp_c',
        'cabinet_temp_c', 'cabinet_setpoint_c', 'ambient_temp_c', 'vibration_mm_s', 'receiver_level_pct'];
    rollup record;
    added text;
    computed text;
    assigned text;
BEGIN
    FOR rollup IN SELECT * FROM (VALUES ('telemetry_hourly', 'hour_utc', 'hour'), ('telemetry_daily', 'day_utc', 'day'))
            AS r(name, bucket, unit) LOOP
        CONTINUE WHEN (SELECT relkind FROM pg_class WHERE oid = to_regclass(rollup.name)) IS DISTINCT FROM 'r';
        SELECT string_agg(format('ADD COLUMN %I double precision, ADD COLUMN %I double precision',
                                 c || '_min', c || '_max'), ', '),
               string_agg(format('min(%I) AS %I, max(%I) AS %I', c, c || '_min', c, c || '_max'), ', '),
               string_agg(format('%I = r.%I, %I = r.%I', c || '_min', c || '_min', c || '_max', c || '_max'), ', ')
            INTO added, computed, assigned
            FROM unnest(channels) AS c;
        EXECUTE format('ALTER TABLE %I %s', rollup.name, added);
        EXECUTE format(
            'UPDATE %I AS b SET %s FROM (SELECT equipment_id, circuit_no, date_trunc(%L, ts, ''UTC'') AS bucket, %s'
            ' FROM telemetry GROUP BY 1, 2, 3) AS r'
            ' WHERE b.equipment_id = r.equipment_id AND b.circuit_no = r.circuit_no AND b.%I = r.bucket',
            rollup.name, assigned, rollup.unit, computed, rollup.bucket);
    END LOOP;
END
$$;
