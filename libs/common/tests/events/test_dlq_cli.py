"""``make dlq`` as an operator runs it: a subprocess of ``make`` against the real broker.

The CLI takes its topology prefix from ``EVENTS_PREFIX`` (as the services do), so these runs see
only this suite's prefixed queues.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import aio_pika

from common.events import Envelope
from common.events.bus import EventBus
from common.events.consumer import ATTEMPT_HEADER
from common.events.topology import installed_subscriptions
from common_testing import TEST_AMQP_URL

ROOT = Path(__file__).resolve().parents[4]
PREFIX = "test-common."
Kit = Any


def _make_dlq(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVENTS_PREFIX": PREFIX, "AMQP_URL": TEST_AMQP_URL}
    env.pop("MAKEFLAGS", None)
    return subprocess.run(
        ["make", "--no-print-directory", "dlq", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def _dead_letter(bus: EventBus, subscription: str, event_type: str) -> Envelope:
    """A message parked in ``<prefix><subscription>.dlq`` as the consumer parks one."""
    envelope = Envelope(type=event_type, producer="test", data={"n": 1})
    channel = await bus.channel(confirms=True)
    try:
        await channel.default_exchange.publish(
            aio_pika.Message(
                envelope.model_dump_json().encode(),
                message_id=str(envelope.id),
                content_type="application/json",
                headers={ATTEMPT_HEADER: 5, "x-last-error": "RuntimeError('boom')"},
            ),
            routing_key=installed_subscriptions()[subscription].with_prefix(PREFIX).dlq,
        )
    finally:
        await channel.close()
    return envelope


async def _drain(bus: EventBus, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    channel = await bus.channel(confirms=False)
    taken = []
    try:
        declared = await channel.get_queue(queue)
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            taken.append(message)
    finally:
        await channel.close()
    return taken


async def test_make_dlq_lists_every_queue_and_one_queue(kit: Kit) -> None:
    bus = await kit.started_bus()
    try:
        posts = await _dead_letter(bus, "posts", "votes.vote.cast")
        votes = await _dead_letter(bus, "votes", "posts.post.created")

        every = _make_dlq()
        assert every.returncode == 0, every.stderr
        listed = [json.loads(line) for line in every.stdout.splitlines() if line.startswith("{")]
        assert {(item["queue"], item["message_id"], item["attempts"]) for item in listed} == {
            (f"{PREFIX}posts.dlq", str(posts.id), 5),
            (f"{PREFIX}votes.dlq", str(votes.id), 5),
        }

        one = _make_dlq("QUEUE=votes")
        assert one.returncode == 0, one.stderr
        [item] = [json.loads(line) for line in one.stdout.splitlines() if line.startswith("{")]
        assert item["message_id"] == str(votes.id)
        assert item["type"] == "posts.post.created"
        assert item["error"] == "RuntimeError('boom')"
        # listing leaves the messages where they were
        assert len(await _drain(bus, f"{PREFIX}posts.dlq")) == 1
    finally:
        await bus.close()


async def test_make_dlq_replay_without_queue_replays_every_queue(kit: Kit) -> None:
    bus = await kit.started_bus()
    try:
        posts = await _dead_letter(bus, "posts", "votes.vote.cast")
        votes = await _dead_letter(bus, "votes", "posts.post.created")

        replay = _make_dlq("REPLAY=1")
        assert replay.returncode == 0, replay.stderr

        assert await _drain(bus, f"{PREFIX}posts.dlq") == []
        assert await _drain(bus, f"{PREFIX}votes.dlq") == []
        [back_in_posts] = await _drain(bus, f"{PREFIX}posts.events")
        [back_in_votes] = await _drain(bus, f"{PREFIX}votes.events")
        assert back_in_posts.message_id == str(posts.id)
        assert back_in_votes.message_id == str(votes.id)
        assert (back_in_posts.headers or {})[ATTEMPT_HEADER] == 1  # a fresh attempt budget
        assert "x-last-error" not in (back_in_posts.headers or {})
    finally:
        await bus.close()


async def test_make_dlq_replay_of_one_queue_leaves_the_others(kit: Kit) -> None:
    bus = await kit.started_bus()
    try:
        await _dead_letter(bus, "posts", "votes.vote.cast")
        votes = await _dead_letter(bus, "votes", "posts.post.created")

        replay = _make_dlq("REPLAY=1", "QUEUE=votes")
        assert replay.returncode == 0, replay.stderr

        assert len(await _drain(bus, f"{PREFIX}posts.dlq")) == 1
        [back] = await _drain(bus, f"{PREFIX}votes.events")
        assert back.message_id == str(votes.id)
    finally:
        await bus.close()
