"""Physical ranges per channel: a value outside is a broken sensor or a corrupt message, not an operating value.

The bounds are wide on purpose (they catch garbage, not faults): pressures in MPa gauge from a deep vacuum to
above any HFC/HCFC design pressure (R410A condenses near 4.2 MPa at 65 °C); temperatures from below any
evaporator to above any discharge gas; electrical values up to large turbo-chiller motors. Documented in
docs/ingest.md; detectors judge whether a value in range is abnormal.
"""

from __future__ import annotations

from fluorowatch.domain.channels import ChannelType, channels

_BY_UNIT: dict[str, tuple[float, float]] = {
    "MPa gauge": (-0.101325, 6.0),  # absolute vacuum is -0.101325 MPa gauge
    "degC": (-80.0, 200.0),
    "V": (0.0, 1000.0),
    "A": (0.0, 2000.0),
    "kW": (0.0, 5000.0),
    "mm/s": (0.0, 1000.0),
    "%": (0.0, 100.0),
    "count": (0.0, 100_000.0),
}

PHYSICAL_RANGES: dict[str, tuple[float, float]] = {
    c.key: _BY_UNIT[c.unit] for c in channels() if c.type is not ChannelType.FLAG
}
FLAG_CHANNELS = frozenset(c.key for c in channels() if c.type is ChannelType.FLAG)
COUNT_CHANNELS = frozenset(c.key for c in channels() if c.type is ChannelType.COUNT)
