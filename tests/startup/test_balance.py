"""The workers' connection board and the listener that accepts through it
(``authgate.startup.balance``), in one process: two listeners on one listening socket stand
for two workers. ``tests/ops/test_workers.py`` checks the same against ``authgate serve``."""

from __future__ import annotations

import asyncio
import copy
import errno
import multiprocessing
import socket
from collections.abc import AsyncIterator

import pytest

from authgate.startup.balance import DEFER, RESOURCE_PAUSE, BalancedListener, ConnectionBoard


def test_the_board_compares_accepting_workers_only() -> None:
    board = ConnectionBoard(3)
    first, second = board.assign(), board.assign()
    assert (first, second) == (0, 1) and second is not None
    board.adopt(first)
    other = copy.copy(board)  # the same shared memory, seen from the second worker
    other.adopt(second)
    board.join(4)
    other.publish(2)
    assert not board.fewer_elsewhere(4)  # the second has not started accepting
    other.join(2)
    assert board.fewer_elsewhere(4) and not board.fewer_elsewhere(2)
    assert not other.fewer_elsewhere(2) and other.fewer_elsewhere(5)
    other.leave()  # stopped accepting (SIGHUP, SIGTERM): no longer a place to leave work
    assert not board.fewer_elsewhere(4)
    board.free(second)
    assert board.assign() == 1  # a freed slot is reused, with no connections


def test_a_full_board_leaves_a_worker_unbalanced_not_failing() -> None:
    board = ConnectionBoard(1)
    assert board.assign() == 0 and board.assign() is None
    board.adopt(None)
    board.publish(3)  # nothing to write to
    assert not board.fewer_elsewhere(100)


def _publish_in_child(board: ConnectionBoard, slot: int) -> None:
    board.adopt(slot)
    board.join(9)


def test_a_forked_worker_publishes_to_the_supervisors_board() -> None:
    board = ConnectionBoard(2)
    mine, child = board.assign(), board.assign()
    assert child is not None
    process = multiprocessing.get_context("fork").Process(
        target=_publish_in_child, args=(board, child)
    )
    process.start()
    process.join(10)
    assert process.exitcode == 0
    board.adopt(mine)
    assert not board.fewer_elsewhere(9) and board.fewer_elsewhere(10)


class Held(asyncio.Protocol):
    """A connection a worker holds, in the set the listener counts (uvicorn's connections)."""

    def __init__(self, held: set[asyncio.Protocol]) -> None:
        self.held = held
        self.made = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.made = asyncio.get_running_loop().time()
        self.held.add(self)


@pytest.fixture
async def listening() -> AsyncIterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


async def _connect(port: int, count: int) -> list[socket.socket]:
    clients = []
    for _ in range(count):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        clients.append(client)
    return clients


async def _until(check: object, timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_new_connections_go_to_the_worker_holding_fewer(listening: socket.socket) -> None:
    board = ConnectionBoard(2)
    busy_slot, idle_slot = board.assign(), board.assign()
    idle_board = copy.copy(board)
    board.adopt(busy_slot)
    idle_board.adopt(idle_slot)
    busy: set[asyncio.Protocol] = {asyncio.Protocol() for _ in range(5)}  # held already
    idle: set[asyncio.Protocol] = set()
    dup = listening.dup()
    first = BalancedListener(listening, lambda: Held(busy), busy, board, 16)
    second = BalancedListener(dup, lambda: Held(idle), idle, idle_board, 16)
    clients = await _connect(listening.getsockname()[1], 4)
    try:
        await _until(lambda: len(busy) + len(idle) == 9)
        await asyncio.sleep(DEFER * 5)
        assert (len(busy), len(idle)) == (5, 4)  # every new one went to the idle worker
    finally:
        first.close()
        second.close()
        await first.wait_closed()
        await second.wait_closed()
        for client in clients:
            client.close()
        dup.close()


async def test_a_worker_that_does_not_accept_delays_a_connection_only_briefly(
    listening: socket.socket,
) -> None:
    board = ConnectionBoard(2)
    mine, stalled = board.assign(), board.assign()
    stalled_board = copy.copy(board)
    stalled_board.adopt(stalled)
    stalled_board.join(0)  # it says it accepts, with no connection: but it never does
    board.adopt(mine)
    held: set[asyncio.Protocol] = {asyncio.Protocol()}
    listener = BalancedListener(listening, lambda: Held(held), held, board, 16)
    began = asyncio.get_running_loop().time()
    clients = await _connect(listening.getsockname()[1], 3)
    try:
        await _until(lambda: len(held) == 4)
        # each was left to the other worker first, and then taken
        made = sorted(c.made for c in held if isinstance(c, Held))
        assert made[0] - began >= DEFER * 0.9
    finally:
        listener.close()
        await listener.wait_closed()
        for client in clients:
            client.close()


async def test_a_closed_listener_accepts_nothing_more(listening: socket.socket) -> None:
    board = ConnectionBoard(1)
    board.adopt(board.assign())
    held: set[asyncio.Protocol] = set()
    listener = BalancedListener(listening, lambda: Held(held), held, board, 16)
    clients = await _connect(listening.getsockname()[1], 1)
    await _until(lambda: len(held) == 1)
    listener.close()
    await listener.wait_closed()
    clients += await _connect(listening.getsockname()[1], 1)
    await asyncio.sleep(0.05)
    assert len(held) == 1
    for client in clients:
        client.close()


class RefusedOnce(socket.socket):
    """A listening socket whose first accept finds the process out of descriptors."""

    refusals = 1

    def accept(self) -> tuple[socket.socket, object]:
        if self.refusals:
            self.refusals -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return super().accept()


async def test_out_of_descriptors_pauses_accepting_then_resumes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sock = RefusedOnce()
    sock.bind(("127.0.0.1", 0))
    board = ConnectionBoard(1)
    board.adopt(board.assign())
    held: set[asyncio.Protocol] = set()
    listener = BalancedListener(sock, lambda: Held(held), held, board, 16)
    began = asyncio.get_running_loop().time()
    clients = await _connect(sock.getsockname()[1], 1)
    try:
        await _until(lambda: len(held) == 1)
        made = next(c.made for c in held if isinstance(c, Held))
        assert made - began >= RESOURCE_PAUSE * 0.9  # it waited instead of spinning
        assert "cannot accept a connection: Too many open files" in caplog.text
    finally:
        listener.close()
        await listener.wait_closed()
        for client in clients:
            client.close()
        sock.close()
