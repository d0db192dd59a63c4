"""A real pymodbus TCP server on a free 127.0.0.1 port, run on its own asyncio loop in a background thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import cast

import pytest
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

DEVICE_ID = 7

# Raw words as a controller would hold them, written out by hand so that the driver's decoding is checked
# against independent values rather than against pymodbus's own encoder.
HOLDING = [
    1234,  # 0  uint16 -> suction_pressure_mpag at scale 0.001 = 1.234
    0xFFCE,  # 1  int16 -50 -> liquid_temp_c at scale 0.1 = -5.0
    0x4148,  # 2  float32 12.5, big word order (high word first) -> compressor_current_a
    0x0000,  # 3
    0x0000,  # 4  float32 3.25 = 0x40500000, little word order (low word first) -> compressor_power_kw
    0x4050,  # 5
    0xFFFE,  # 6  int32 -123456 = 0xFFFE1DC0, big word order -> cond_sat_temp_c at scale 0.001 = -123.456
    0x1DC0,  # 7
    0x1170,  # 8  uint32 70000 = 0x00011170, little word order -> purge_count
    0x0001,  # 9
    1,  # 10 uint16 -> compressor_on
    0x7FC0,  # 11 float32 NaN, how controllers report a failed sensor -> compressor_shell_temp_c
    0x0000,  # 12
]
INPUT = [215, 300]  # cabinet_temp_c = 215 * 0.1 - 40 = -18.5; circuit 2 suction_pressure_mpag = 300 * 0.01 = 3.0
COILS = [False, True, False]  # coil 1 -> defrost_on
DISCRETE = [False, False, False, True]  # discrete input 3 -> circuit 2 sight_glass_bubbles


class ModbusTestServer:
    """Serves `HOLDING`, `INPUT`, `COILS` and `DISCRETE` as device `DEVICE_ID`; counts the requests it receives."""

    device_id = DEVICE_ID

    def __init__(self) -> None:
        self.port = 0
        self.requests: list[int] = []  # function codes received
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: ModbusTcpServer | None = None

    def start(self) -> None:
        loop = asyncio.new_event_loop()
        started = threading.Event()

        async def serve() -> None:
            self._server = ModbusTcpServer(_device(), address=("127.0.0.1", self.port), trace_pdu=self._trace)
            await self._server.serve_forever(background=True)
            listener = cast(asyncio.Server, self._server.transport)
            self.port = listener.sockets[0].getsockname()[1]  # the free port the system chose, kept for restarts
            started.set()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(serve())
            loop.run_forever()

        self._loop, self._thread = loop, threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert started.wait(5), "the Modbus test server did not start"

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        assert self._loop is not None and self._thread is not None and self._server is not None
        shutdown = self._server.shutdown()  # type: ignore[no-untyped-call]
        asyncio.run_coroutine_threadsafe(shutdown, self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
        self._loop = self._thread = self._server = None

    def _trace(self, sending: bool, pdu: ModbusPDU) -> ModbusPDU:
        if not sending:
            self.requests.append(pdu.function_code)
        return pdu


def _device() -> SimDevice:
    return SimDevice(
        id=DEVICE_ID,
        simdata=(
            [SimData(0, values=COILS, datatype=DataType.BITS)],
            [SimData(0, values=DISCRETE, datatype=DataType.BITS)],
            [SimData(0, values=HOLDING, datatype=DataType.REGISTERS)],
            [SimData(0, values=INPUT, datatype=DataType.REGISTERS)],
        ),
    )


@pytest.fixture
def modbus_server() -> Iterator[ModbusTestServer]:
    server = ModbusTestServer()
    server.start()
    yield server
    if server.running:
        server.stop()
